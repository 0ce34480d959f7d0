"""rnnviz.data and rnnviz.batches against d2l's published figures and hand-worked cases."""

import hashlib
import http.server
import json
import random
import socket
import threading

import pytest
import torch

from rnnviz import data
from rnnviz.data import (
    Corpus,
    CorpusError,
    SeqDataLoader,
    Vocab,
    corpus_indices,
    count_corpus,
    decode_user_text,
    load_corpus,
    load_corpus_time_machine,
    read_time_machine,
    seq_data_iter_random,
    seq_data_iter_sequential,
    split_train_val,
    tokenize,
)

# d2l 8.2, "Text Preprocessing": the char vocabulary of the cleaned book, printed in the chapter.
D2L_CHAR_TOKENS = ['<unk>', ' ', 'e', 't', 'a', 'i', 'n', 'o', 's', 'h', 'r', 'd', 'l', 'm',
                   'u', 'c', 'f', 'w', 'g', 'y', 'p', 'b', 'v', 'k', 'x', 'z', 'j', 'q']


# ---------------------------------------------------------------- the book, d2l's figures


def test_read_time_machine_matches_d2l(time_machine_file):
    lines = read_time_machine()
    assert len(lines) == 3221
    assert lines[0] == "the time machine by h g wells"
    assert lines[10] == "twinkled and his usually pale face was flushed and animated the"


def test_char_corpus_matches_d2l(time_machine_file):
    corpus, vocab = load_corpus_time_machine()
    assert (len(corpus), len(vocab)) == (170580, 28)
    assert vocab.idx_to_token == D2L_CHAR_TOKENS
    assert load_corpus_time_machine(max_tokens=1000)[0] == corpus[:1000]
    # The generic path over a Corpus gives the same stream as d2l's dedicated function.
    assert corpus_indices(load_corpus("timemachine"))[0] == corpus


def test_word_vocab_matches_d2l(time_machine_file):
    vocab = Vocab(tokenize(read_time_machine()))
    assert len(vocab) == 4580
    assert vocab.token_freqs[:5] == [
        ("the", 2261), ("i", 1267), ("and", 1245), ("of", 1155), ("a", 816)]
    words = ["the", "time", "machine", "by", "h", "g", "wells"]
    assert vocab[words] == [1, 19, 50, 40, 2183, 2184, 400]
    assert vocab.to_tokens([1, 19, 50]) == ["the", "time", "machine"]


def test_raw_book_keeps_case_punctuation_and_newlines(time_machine_file):
    corpus = load_corpus("raw")
    assert corpus.text.startswith("The Time Machine, by H. G. Wells [1898]\n")
    chars = corpus.char_tokens()
    # 3,221 lines joined by 3,220 line breaks; the char stream is the text itself.
    assert chars.count("\n") == 3220
    assert "".join(chars) == corpus.text


# ---------------------------------------------------------------- download and cache


class _Server:
    """A local HTTP server returning `body` for every GET and counting requests."""

    def __init__(self, body: bytes):
        self.body, self.hits = body, 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args):  # keep pytest output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/timemachine.txt"
        # A short poll interval keeps shutdown() from costing half a second per test.
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    servers = []

    def start(body: bytes) -> _Server:
        servers.append(_Server(body))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.fixture
def dead_url():
    """A URL on a port nobody listens on: bound then released, so connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/timemachine.txt"


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """No copy of the book anywhere: RNNVIZ_TIMEMACHINE unset, cache dir empty."""
    monkeypatch.delenv("RNNVIZ_TIMEMACHINE", raising=False)
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(tmp_path))
    return tmp_path


def test_download_then_cache(time_machine_file, serve, empty_cache):
    book = time_machine_file.read_bytes()
    server = serve(book)
    path = data.time_machine_path(server.url)
    assert path == empty_cache / "timemachine.txt"
    assert data.sha1_of(path) == hashlib.sha1(book).hexdigest() == data.TIME_MACHINE_SHA1
    assert sorted(p.name for p in empty_cache.iterdir()) == ["timemachine.txt"]  # no temp file left
    assert data.time_machine_path(server.url) == path
    assert server.hits == 1  # the second call used the cache
    assert len(read_time_machine()) == 3221


def test_download_checksum_mismatch_leaves_nothing(serve, empty_cache):
    server = serve(b"not the book\n" * 100)
    with pytest.raises(CorpusError, match="checksum") as err:
        data.time_machine_path(server.url)
    assert data.TIME_MACHINE_SHA1 in str(err.value)
    assert hashlib.sha1(b"not the book\n" * 100).hexdigest() in str(err.value)
    assert list(empty_cache.iterdir()) == []


def test_download_server_down(dead_url, empty_cache):
    with pytest.raises(CorpusError, match="could not download"):
        data.download(dead_url, empty_cache / "x.txt", sha1=None, timeout=2)
    assert list(empty_cache.iterdir()) == []


def test_unwritable_cache_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(CorpusError, match="RNNVIZ_DATA_DIR"):
        data.download("http://127.0.0.1:9/x", blocker / "sub" / "x.txt", sha1=None)


def test_env_copy_must_exist_and_match(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_TIMEMACHINE", str(tmp_path / "missing.txt"))
    with pytest.raises(CorpusError, match="does not exist"):
        data.time_machine_path()
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("some other book")
    monkeypatch.setenv("RNNVIZ_TIMEMACHINE", str(wrong))
    with pytest.raises(CorpusError, match="SHA-1"):
        data.time_machine_path()


def test_corrupt_cache_is_refused(empty_cache, dead_url):
    (empty_cache / "timemachine.txt").write_text("truncated")
    with pytest.raises(CorpusError, match="delete it"):
        data.time_machine_path(dead_url)


def test_timemachine_falls_back_to_offline(empty_cache, dead_url, monkeypatch):
    monkeypatch.setattr(data, "TIME_MACHINE_URL", dead_url)
    corpus = load_corpus("timemachine")
    assert corpus.kind == "offline" and "unavailable" in corpus.note
    assert corpus.lines == data.offline_lines()
    raw = load_corpus("raw")
    assert raw.note and raw.newlines and "\n" in raw.char_tokens()
    with pytest.raises(CorpusError, match="could not download"):
        load_corpus("timemachine", fallback=False)


def test_data_dir_follows_env(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(tmp_path / "d"))
    assert data.data_dir() == tmp_path / "d"
    monkeypatch.delenv("RNNVIZ_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_dir() == tmp_path / "xdg" / "rnnviz"


# ---------------------------------------------------------------- offline corpus


def test_offline_corpus_is_clean_english():
    lines = data.offline_lines()
    text = "".join(lines)
    assert len(text) > 100_000
    assert set(text) <= set("abcdefghijklmnopqrstuvwxyz ")
    assert all(lines)  # empty lines dropped
    assert {"the", "function", "class"} <= set(" ".join(lines).split())
    assert load_corpus("offline").kind == "offline"


def test_clean_lines_is_d2ls_rule():
    assert data.clean_lines("The Time-Machine, 1898!\n\n  Hello\tWORLD  ") == [
        "the time machine", "", "hello world"]


# ---------------------------------------------------------------- tokens and vocab


def test_tokenize():
    assert tokenize(["a bc", ""]) == [["a", "bc"], []]
    assert tokenize(["ab c"], "char") == [["a", "b", " ", "c"]]
    with pytest.raises(ValueError, match="unknown token kind"):
        tokenize(["a"], "byte")


def test_vocab_order_min_freq_and_reserved():
    tokens = [["a", "b", "b"], ["c", "c", "c", "d", "<pad>"]]
    vocab = Vocab(tokens, min_freq=2, reserved_tokens=["<pad>", "<bos>"])
    # c:3, b:2 kept; a, d, <pad> seen once -> below min_freq; <pad> already reserved anyway.
    assert vocab.idx_to_token == ["<unk>", "<pad>", "<bos>", "c", "b"]
    assert vocab.token_freqs == [("c", 3), ("b", 2), ("a", 1), ("d", 1), ("<pad>", 1)]
    assert (vocab.unk, vocab["a"], vocab["zzz"], vocab["c"]) == (0, 0, 0, 3)
    assert vocab[("c", "b", "q")] == [3, 4, 0]
    assert vocab.to_tokens(4) == "b"
    assert vocab.to_tokens([3, 0]) == ["c", "<unk>"]
    assert vocab.to_tokens(torch.tensor([4, 3])) == ["b", "c"]
    flat = Vocab([t for line in tokens for t in line], 2, ["<pad>", "<bos>"])
    assert flat.idx_to_token == vocab.idx_to_token
    assert count_corpus([]) == {} and len(Vocab()) == 1


def test_vocab_ties_keep_first_seen_order():
    # Equal counts: order of first appearance, as sorted() over d2l's Counter gives.
    assert Vocab(list("zyxzyx")).idx_to_token == ["<unk>", "z", "y", "x"]


def test_vocab_json_round_trip():
    vocab = Vocab(tokenize(["the cat sat on the mat", "a cat"]), reserved_tokens=["<eos>"])
    back = Vocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert back.idx_to_token == vocab.idx_to_token
    assert back.token_freqs == vocab.token_freqs
    assert back[["cat", "the", "dog"]] == vocab[["cat", "the", "dog"]]
    with pytest.raises(ValueError, match="not a saved Vocab"):
        Vocab.from_dict({"idx_to_token": ["a", "a"], "token_freqs": []})


# ---------------------------------------------------------------- user text


CHINESE = "时间机器是一部科学幻想小说。时间旅行者讲述了他的旅程。\n" * 10  # 27 chars a line


def test_chinese_text_char_by_char():
    corpus = load_corpus("user", CHINESE.encode("utf-8"))
    assert corpus.kind == "user" and corpus.lines[0] == CHINESE.split("\n")[0]
    indices, vocab = corpus_indices(corpus)
    assert vocab["时"] != vocab.unk and vocab.to_tokens(indices[:2]) == ["时", "间"]
    assert len(indices) == 270


def test_user_text_cleaning_keeps_every_script():
    text = "Hello   World, ÉCOLE\r\n\r\nनमस्ते दुनिया  時間\r\n" + "x" * 200
    corpus = load_corpus("user", text)
    assert corpus.lines == ["hello world, école", "नमस्ते दुनिया 時間", "x" * 200]
    raw = load_corpus("user", text, clean=False)
    assert raw.lines[:3] == ["Hello   World, ÉCOLE", "", "नमस्ते दुनिया  時間"]
    assert raw.char_tokens().count("\n") == 3


def test_decode_strips_bom_and_normalizes_newlines():
    text = decode_user_text(b"\xef\xbb\xbf" + b"one\r\ntwo\rthree\n" + b"y" * 200)
    assert text.startswith("one\ntwo\nthree\n") and "\r" not in text


@pytest.mark.parametrize("payload, message", [
    (b"", "empty"),
    (b"\x00\x01\x02\x03" * 100, "binary"),
    (b"\x01" * 30 + b"a" * 270, "binary"),  # no NUL, but 10% control bytes
    (b"\xff\xfe\xfa", "UTF-8"),
    ("UTF-16 text ".encode("utf-16") * 30, "UTF-16"),
    (b"a" * 300 + b"\xfa" + b"a" * 10, "not valid UTF-8 .*byte offset 300"),
    (b"hello world", "too short: 10 characters, need at least 200"),
    ("  时间 \n" * 99, "too short: 198 characters"),
])
def test_decode_refuses_bad_input(payload, message):
    with pytest.raises(CorpusError, match=message):
        decode_user_text(payload)


def test_decode_size_cap():
    with pytest.raises(CorpusError, match="limit is 5 MB"):
        decode_user_text(b"a" * (data.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(CorpusError, match="MB"):
        decode_user_text(b"ab" * 1000, max_bytes=1000)
    assert decode_user_text(b"ab" * 500, max_bytes=1000) == "ab" * 500


def test_load_corpus_rejects_unknown_kind_and_missing_text():
    with pytest.raises(ValueError, match="unknown corpus kind"):
        load_corpus("poems")
    with pytest.raises(CorpusError, match="no text"):
        load_corpus("user")


# ---------------------------------------------------------------- samplers
# d2l's example: the sequence 0..34, batches of 2 subsequences of 5 steps.

SEQ = list(range(35))


def _rows_are_contiguous(X, Y):
    starts = X[:, :1]
    return torch.equal(X, starts + torch.arange(X.shape[1])) and torch.equal(Y, X + 1)


@pytest.mark.parametrize("seed", range(10))
def test_random_sampler_by_hand(seed):
    offset = random.Random(seed).randint(0, 4)
    batches = list(seq_data_iter_random(SEQ, 2, 5, random.Random(seed)))
    # 35 - offset - 1 = 30..34 tokens (one is kept as the last target) hold 6 windows of 5,
    # so every offset gives 3 batches of 2.
    assert len(batches) == 3
    for X, Y in batches:
        assert X.dtype == Y.dtype == torch.long and X.shape == Y.shape == (2, 5)
        assert _rows_are_contiguous(X, Y)
    starts = sorted(int(X[r, 0]) for X, _ in batches for r in range(2))
    # Windows are the 6 non-overlapping runs beginning at the offset, each used once.
    assert starts == [offset + 5 * k for k in range(6)]


def test_sequential_sampler_by_hand():
    # Random(0).randint(0, 4) == 3 (Python's documented seeding is stable across versions).
    assert random.Random(0).randint(0, 4) == 3
    # offset 3: (35 - 3 - 1) // 2 * 2 = 30 tokens 3..32 -> rows 3..17 and 18..32, 3 batches of 5.
    batches = list(seq_data_iter_sequential(SEQ, 2, 5, random.Random(0)))
    expected_X = [
        [[3, 4, 5, 6, 7], [18, 19, 20, 21, 22]],
        [[8, 9, 10, 11, 12], [23, 24, 25, 26, 27]],
        [[13, 14, 15, 16, 17], [28, 29, 30, 31, 32]],
    ]
    assert [X.tolist() for X, _ in batches] == expected_X
    expected_Y = [[[v + 1 for v in row] for row in X] for X in expected_X]
    assert [Y.tolist() for _, Y in batches] == expected_Y


@pytest.mark.parametrize("seed", range(10))
def test_sequential_batches_continue_each_other(seed):
    batches = list(seq_data_iter_sequential(SEQ, 2, 5, random.Random(seed)))
    assert batches
    for X, Y in batches:
        assert X.dtype == torch.long and _rows_are_contiguous(X, Y)
    for (X, _), (X_next, _) in zip(batches, batches[1:]):
        assert torch.equal(X[:, -1] + 1, X_next[:, 0])


@pytest.mark.parametrize("sampler", [seq_data_iter_random, seq_data_iter_sequential])
def test_samplers_need_enough_tokens(sampler):
    # 2 * 5 inputs + 1 target = 11 tokens give a batch at offset 0 only; fewer never give one.
    with pytest.raises(CorpusError, match="needs at least 11"):
        sampler(list(range(10)), 2, 5, random.Random(0))
    counts = {len(list(sampler(list(range(11)), 2, 5, random.Random(seed)))) for seed in range(20)}
    assert counts == {0, 1}
    # Worst offset 4 + 10 inputs + 1 target = 15 tokens give a batch whatever the offset.
    assert data.min_corpus_tokens(2, 5) == 15
    for seed in range(20):
        assert len(list(sampler(list(range(15)), 2, 5, random.Random(seed)))) == 1
    with pytest.raises(CorpusError, match="at least 1"):
        sampler(SEQ, 0, 5, random.Random(0))


@pytest.mark.parametrize("kind", ["random", "sequential"])
def test_loader_reproducible_epochs_differ_len_exact(kind):
    corpus = list(range(1000))
    a, b = SeqDataLoader(corpus, 4, 7, kind, seed=1), SeqDataLoader(corpus, 4, 7, kind, seed=1)
    epochs_a = [[X.tolist() for X, _ in a] for _ in range(3)]
    epochs_b = [[X.tolist() for X, _ in b] for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    # 33 tokens, batches of 2x5: (32 - offset) // 10 is 3 for offsets 0-2 and 2 for 3-4, so the
    # count changes between epochs and len() must predict each one.
    loader = SeqDataLoader(list(range(33)), 2, 5, kind, seed=0)
    counts = []
    for _ in range(20):
        expected = len(loader)
        counts.append(len(list(loader)))
        assert counts[-1] == expected
    assert set(counts) == {2, 3}
    assert loader.sampler == kind


def test_loader_validates():
    with pytest.raises(ValueError, match="unknown sampler"):
        SeqDataLoader(SEQ, 2, 5, "shuffled")
    # The loader asks for a batch at every offset (15 tokens here), so no epoch is empty.
    with pytest.raises(CorpusError, match="needs at least 15"):
        SeqDataLoader(list(range(14)), 2, 5)


def test_split_train_val():
    train, val = split_train_val(list(range(100)), 0.1)
    assert (train, val) == (list(range(90)), list(range(90, 100)))
    assert split_train_val(list(range(7)), 0.0) == (list(range(7)), [])
    assert split_train_val(list(range(10)), 0.5) == (list(range(5)), list(range(5, 10)))
    with pytest.raises(ValueError, match="val_frac"):
        split_train_val(SEQ, 0.6)


def test_corpus_text_and_char_stream():
    cleaned = Corpus("t", "offline", ["ab", "c"])
    assert cleaned.char_tokens() == ["a", "b", "c"]  # d2l: lines concatenated, no separator
    assert cleaned.text == "ab c"
    raw = Corpus("t", "raw", ["ab", "c"], newlines=True)
    assert raw.char_tokens() == ["a", "b", "\n", "c"] and raw.text == "ab\nc"
