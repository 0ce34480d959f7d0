"""Corpora, tokenization and vocabulary for d2l's RNN chapter (sections 8.2-8.3).

Where d2l publishes a figure (3,221 lines, 170,580 characters, 28 char tokens) the functions here
reproduce it exactly; the minibatch samplers live in `rnnviz.batches` and are re-exported here
(`from rnnviz.data import SeqDataLoader` works).
"""

from __future__ import annotations

import collections
import hashlib
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .i18n import t

TIME_MACHINE_URL = "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt"
TIME_MACHINE_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"
MAX_UPLOAD_BYTES = 5_000_000
MIN_USER_CHARS = 200

# Share of control bytes above which an upload is treated as binary rather than text.
_MAX_CONTROL_SHARE = 0.05
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\v") + b"\x7f"
# Files that are not text, told apart by their first bytes. Archives are refused from these bytes alone and
# never unpacked, so a zip bomb renamed .txt costs nothing. (name shown to the user, archive?)
_MAGIC = (
    (b"PK\x03\x04", "ZIP", True), (b"PK\x05\x06", "ZIP", True), (b"PK\x07\x08", "ZIP", True),
    (b"\x1f\x8b", "gzip", True), (b"BZh", "bzip2", True), (b"\xfd7zXZ\x00", "xz", True),
    (b"\x28\xb5\x2f\xfd", "Zstandard", True), (b"7z\xbc\xaf\x27\x1c", "7-Zip", True),
    (b"Rar!\x1a\x07", "RAR", True), (b"\x5d\x00\x00", "LZMA", True), (b"ustar", "tar", True),
    (b"%PDF-", "PDF", False), (b"\x89PNG\r\n\x1a\n", "PNG", False), (b"\xff\xd8\xff", "JPEG", False),
    (b"GIF87a", "GIF", False), (b"GIF89a", "GIF", False), (b"\x7fELF", "ELF", False),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Microsoft Office", False), (b"SQLite format 3\x00", "SQLite", False),
    (b"\x80\x02", "pickle", False), (b"\x80\x03", "pickle", False), (b"\x80\x04", "pickle", False),
    (b"\x80\x05", "pickle", False),
)


def sniff_format(data: bytes) -> tuple[str, bool] | None:
    """(format name, is an archive) when ``data`` starts like a known non-text file, else None.

    tar's marker sits at byte 257; every other one at the start."""
    for magic, name, archive in _MAGIC:
        if (data[257:257 + len(magic)] if magic == b"ustar" else data[:len(magic)]) == magic:
            return name, archive
    return None


class CorpusError(ValueError):
    """A data problem a person can act on; the message is written to be shown to them."""


# ---------------------------------------------------------------- files and download


def data_dir() -> Path:
    """Where downloaded corpora are cached: $RNNVIZ_DATA_DIR, else $XDG_CACHE_HOME/rnnviz,
    else ~/.cache/rnnviz. Not created here; `download` creates it when it writes."""
    if os.environ.get("RNNVIZ_DATA_DIR"):
        return Path(os.environ["RNNVIZ_DATA_DIR"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "rnnviz"


def sha1_of(path: str | os.PathLike) -> str:
    """Hex SHA-1 of a file's bytes."""
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(url: str, dest: Path, sha1: str | None, timeout: float = 10.0) -> Path:
    """Fetch `url` to `dest` atomically and return `dest`.

    The body goes to a temporary file beside `dest` and is renamed into place only after its
    SHA-1 matches, so a reader never sees a half-written or wrong file. Raises CorpusError when
    the network fails or the checksum does not match; in both cases nothing is left behind.
    """
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    except OSError as err:  # read-only home or cache dir: say how to point elsewhere
        raise CorpusError(f"cannot write to {dest.parent} ({err.strerror}); "
                          "set RNNVIZ_DATA_DIR to a writable folder") from err
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha1()
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    for chunk in iter(lambda: response.read(1 << 16), b""):
                        digest.update(chunk)
                        out.write(chunk)
            except urllib.error.HTTPError as err:
                reason = f"HTTP {err.code} {err.reason}"
                raise CorpusError(f"could not download {url}: {reason}") from err
            except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
                reason = getattr(err, "reason", None) or err  # URLError wraps the socket error
                raise CorpusError(f"could not download {url}: {reason}") from err
        got = digest.hexdigest()
        if sha1 is not None and got != sha1:
            raise CorpusError(
                f"checksum mismatch for {url}: expected SHA-1 {sha1}, got {got}; "
                "the file was not saved"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def time_machine_path(url: str | None = None) -> Path:
    """Path to a verified copy of The Time Machine, downloading it if needed.

    Looks in order at $RNNVIZ_TIMEMACHINE, then the cache `data_dir()/timemachine.txt`, then
    downloads from `url` (default: this module's TIME_MACHINE_URL, read at call time so tests
    and deployments can point it elsewhere). A copy with the wrong SHA-1 is an error, never used.
    """
    env = os.environ.get("RNNVIZ_TIMEMACHINE")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise CorpusError(f"RNNVIZ_TIMEMACHINE points to {path}, which does not exist")
        got = sha1_of(path)
        if got != TIME_MACHINE_SHA1:
            raise CorpusError(
                f"RNNVIZ_TIMEMACHINE points to {path}, whose SHA-1 {got} does not match "
                f"the expected {TIME_MACHINE_SHA1}"
            )
        return path
    cached = data_dir() / "timemachine.txt"
    if cached.is_file():
        got = sha1_of(cached)
        if got != TIME_MACHINE_SHA1:
            raise CorpusError(
                f"the cached copy {cached} has SHA-1 {got}, expected {TIME_MACHINE_SHA1}; "
                "delete it to download a fresh one"
            )
        return cached
    return download(url or TIME_MACHINE_URL, cached, TIME_MACHINE_SHA1)


# ---------------------------------------------------------------- text


def clean_lines(raw: str) -> list[str]:
    """d2l's cleaning: every run of non-letters becomes one space, then strip and lowercase.
    Empty lines are kept, as d2l keeps them (its 3,221-line count includes them)."""
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in raw.splitlines()]


def read_time_machine() -> list[str]:
    """The book as d2l's `read_time_machine` gives it: 3,221 cleaned lines, empty ones included."""
    return clean_lines(time_machine_path().read_text(encoding="utf-8"))


def _pydoc_text() -> str:
    """The Python language reference topics that ship with CPython (used by `help()`)."""
    try:
        from pydoc_data.topics import topics
    except ImportError as err:  # some minimal Python builds strip pydoc_data
        raise CorpusError("this Python has no pydoc_data, so no offline corpus") from err
    return "\n".join(topics.values())


def offline_lines() -> list[str]:
    """An English corpus available without network: Python's reference docs, cleaned like d2l.

    Empty lines are dropped: here they come from blank lines and code that is all symbols, and
    carry no characters for the char stream, so keeping them would only inflate the line count.
    """
    return [line for line in clean_lines(_pydoc_text()) if line]


def decode_user_text(data: bytes | str, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """Check and decode an uploaded text; return it with BOM removed and newlines as '\\n'.

    Accepts UTF-8 in any script. Raises CorpusError, with a message for the person who
    uploaded, for empty, oversized, compressed (never unpacked), binary, UTF-16, non-UTF-8,
    too-short input, or text made of a single repeated character.
    """
    if isinstance(data, str):
        # One validation path for both: a str is checked as the UTF-8 bytes it would be saved as.
        data = data.encode("utf-8", errors="surrogatepass")
    if not data:
        raise CorpusError("the file is empty")
    if len(data) > max_bytes:
        raise CorpusError(
            f"the file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB"
        )
    known = sniff_format(data)
    if known is not None:
        name, archive = known
        raise CorpusError(t("hardening.corpus_archive" if archive else "hardening.corpus_format", format=name))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Checked before the NUL test: UTF-16 text is full of NUL bytes but is not binary.
        raise CorpusError("the file looks UTF-16 encoded; please save it as UTF-8 and upload again")
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if b"\x00" in data or controls > _MAX_CONTROL_SHARE * len(data):
        raise CorpusError("the file looks binary, not text; please upload a plain-text (.txt) file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CorpusError(
            f"the file is not valid UTF-8 (bad byte 0x{data[err.start]:02x} at byte offset "
            f"{err.start}); please save it as UTF-8"
        ) from err
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    n = sum(not c.isspace() for c in text)
    if n < MIN_USER_CHARS:
        raise CorpusError(f"the text is too short: {n} characters, need at least {MIN_USER_CHARS}")
    distinct = {c for c in text if not c.isspace()}
    if len(distinct) < 2:  # nothing to predict: the model would learn one constant
        raise CorpusError(t("hardening.corpus_one_char", char=repr(distinct.pop())))
    return text


def _clean_user_lines(text: str) -> list[str]:
    """Lowercase and collapse whitespace, dropping empty lines; every script and punctuation mark
    is kept. d2l's [^A-Za-z] rule would erase Chinese, and a 'letters only' rule would break
    scripts written with combining marks (Devanagari vowel signs are not letters)."""
    lines = (" ".join(line.lower().split()) for line in text.split("\n"))
    return [line for line in lines if line]


# ---------------------------------------------------------------- tokens and vocabulary


def tokenize(lines: list[str], token: str = "word") -> list[list[str]]:
    """d2l's tokenize: 'word' splits each line on whitespace, 'char' lists its characters."""
    if token == "word":
        return [line.split() for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    raise ValueError(f"unknown token kind {token!r}; expected 'word' or 'char'")


def count_corpus(tokens: list) -> collections.Counter:
    """Token frequencies; `tokens` may be a flat list or a list of token lists."""
    if len(tokens) == 0 or isinstance(tokens[0], list):
        tokens = [tok for line in tokens for tok in line]
    return collections.Counter(tokens)


class Vocab:
    """Token <-> index map with d2l's exact index order.

    Index 0 is '<unk>', then `reserved_tokens` in the given order, then tokens by descending
    frequency, ties in first-seen order (Python's sort is stable over the Counter's insertion
    order, which is what d2l relies on). Tokens rarer than `min_freq` are left out.
    """

    def __init__(self, tokens: list | None = None, min_freq: int = 0,
                 reserved_tokens: list[str] | None = None):
        counter = count_corpus(tokens or [])
        self._token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = ["<unk>"] + list(reserved_tokens or [])
        self.token_to_idx = {tok: idx for idx, tok in enumerate(self.idx_to_token)}
        for tok, freq in self._token_freqs:
            if freq < min_freq:
                break
            if tok not in self.token_to_idx:
                self.idx_to_token.append(tok)
                self.token_to_idx[tok] = len(self.idx_to_token) - 1

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        """Index of one token, or a list of indices for a list/tuple; unknown tokens map to 0."""
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self[tok] for tok in tokens]

    def to_tokens(self, indices):
        """Token for an index, or tokens for a list/tuple/tensor of indices."""
        if hasattr(indices, "tolist"):  # torch tensors and numpy arrays
            indices = indices.tolist()
        if isinstance(indices, (list, tuple)):
            return [self.idx_to_token[int(i)] for i in indices]
        return self.idx_to_token[indices]

    @property
    def unk(self) -> int:
        return 0

    @property
    def token_freqs(self) -> list[tuple[str, int]]:
        """Every counted token with its count, most frequent first (min_freq not applied)."""
        return self._token_freqs

    def to_dict(self) -> dict:
        """JSON-safe form for checkpoints; `Vocab.from_dict` restores it exactly."""
        return {"idx_to_token": list(self.idx_to_token),
                "token_freqs": [[tok, freq] for tok, freq in self._token_freqs]}

    @classmethod
    def from_dict(cls, d: dict) -> Vocab:
        """Rebuild from `to_dict` output without recounting, so indices are exactly as saved."""
        idx_to_token = list(d["idx_to_token"])
        if idx_to_token[:1] != ["<unk>"] or len(set(idx_to_token)) != len(idx_to_token):
            raise ValueError("not a saved Vocab: idx_to_token must start with '<unk>', no repeats")
        vocab = cls()
        vocab.idx_to_token = idx_to_token
        vocab.token_to_idx = {tok: idx for idx, tok in enumerate(idx_to_token)}
        vocab._token_freqs = [(tok, int(freq)) for tok, freq in d["token_freqs"]]
        return vocab


# ---------------------------------------------------------------- corpora


@dataclass
class Corpus:
    """A text ready for tokenizing.

    `lines` is what the model sees. Cleaned corpora (newlines=False) form their char stream as
    d2l does, concatenating lines with no separator; raw ones (newlines=True) keep '\\n' between
    lines so a model can learn line lengths.
    """

    name: str
    kind: str  # 'timemachine' | 'offline' | 'user' | 'raw'
    lines: list[str]
    note: str = ""
    newlines: bool = False

    @property
    def text(self) -> str:
        """Readable text: lines joined by '\\n' for raw corpora, by ' ' for cleaned ones (so words
        at line ends stay apart, unlike in `char_tokens`)."""
        return ("\n" if self.newlines else " ").join(self.lines)

    def char_tokens(self) -> list[str]:
        """The character stream a char-level model trains on."""
        if self.newlines:
            return list("\n".join(self.lines))
        return [ch for line in self.lines for ch in line]


def _offline_corpus(note: str = "", raw: bool = False) -> Corpus:
    if raw:
        lines = _pydoc_text().replace("\r\n", "\n").split("\n")
        return Corpus("Python documentation (offline, raw)", "raw", lines, note, newlines=True)
    return Corpus("Python documentation (offline)", "offline", offline_lines(), note)


def load_corpus(kind: str = "timemachine", text: str | bytes | None = None, clean: bool = True,
                fallback: bool = True) -> Corpus:
    """Load a corpus by kind.

    'timemachine': d2l's cleaned book; 'raw': the book with case, punctuation and line breaks;
    'offline': Python's docs, cleaned; 'user': `text` (bytes or str), checked by
    `decode_user_text`, cleaned by lowercasing and collapsing whitespace when `clean` (the only
    kind `clean` affects), else kept line for line with '\\n' in the char stream.
    If the book cannot be had and `fallback`, 'timemachine' and 'raw' fall back to the offline
    docs (cleaned or raw to match) with `note` saying why.
    """
    if kind in ("timemachine", "raw"):
        try:
            if kind == "timemachine":
                return Corpus("The Time Machine (H. G. Wells)", kind, read_time_machine())
            raw = time_machine_path().read_text(encoding="utf-8")
            return Corpus("The Time Machine (H. G. Wells), raw", kind, raw.splitlines(),
                          newlines=True)
        except CorpusError as err:
            if not fallback:
                raise
            note = (f"The Time Machine is unavailable ({err}); "
                    "using Python's offline documentation instead.")
            return _offline_corpus(note, raw=kind == "raw")
    if kind == "offline":
        return _offline_corpus()
    if kind == "user":
        if text is None:
            raise CorpusError("no text was given")
        decoded = decode_user_text(text)
        if clean:
            corpus = Corpus("Your text", kind, _clean_user_lines(decoded))
            distinct = {c for line in corpus.lines for c in set(line) if not c.isspace()}
            if len(distinct) < 2:  # e.g. "AaAa": one letter once lowercased
                raise CorpusError(t("hardening.corpus_one_token", char=repr(distinct.pop())))
            return corpus
        return Corpus("Your text", kind, decoded.split("\n"), newlines=True)
    raise ValueError(f"unknown corpus kind {kind!r}")


def load_corpus_time_machine(max_tokens: int = -1) -> tuple[list[int], Vocab]:
    """d2l's char-level Time Machine: 170,580 indices (or the first `max_tokens` if > 0) and
    its 28-token vocab."""
    tokens = tokenize(read_time_machine(), "char")
    vocab = Vocab(tokens)
    corpus = [vocab[tok] for line in tokens for tok in line]
    if max_tokens > 0:
        corpus = corpus[:max_tokens]
    return corpus, vocab


def corpus_indices(corpus: Corpus, vocab: Vocab | None = None,
                   max_tokens: int = -1) -> tuple[list[int], Vocab]:
    """Char stream of `corpus` as indices (len = number of chars, or `max_tokens` if > 0), with
    a vocab built from the whole stream unless one is given (unknown chars then map to 0)."""
    chars = corpus.char_tokens()
    if vocab is None:
        vocab = Vocab(chars)
    indices = [vocab[ch] for ch in chars]
    if max_tokens > 0:
        indices = indices[:max_tokens]
    return indices, vocab


_BATCH_NAMES = {"SeqDataLoader", "seq_data_iter_random", "seq_data_iter_sequential",
                "split_train_val", "min_corpus_tokens", "num_batches"}


def __getattr__(name: str):
    """Re-export the samplers of `rnnviz.batches`, which imports this module for CorpusError;
    resolving them lazily keeps that dependency one-way and free of import cycles."""
    if name in _BATCH_NAMES:
        from rnnviz import batches
        return getattr(batches, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
