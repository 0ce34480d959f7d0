"""The Memory lab's tasks against hand-worked targets, a brief training run that beats chance, the sweep's shape,
input gradients against finite differences, and the LSTM's forget gates against nn.LSTM's own step."""
import math

import pytest
import torch

from rnnviz import memory_lab as ml
from rnnviz import memory_plots as mp
from rnnviz.memory_tasks import (AGREE_CHARS, COPY_K, COPY_SYMBOLS, SUBJECTS, TASKS, TaskError, describe_example,
                                 get_task)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_adding_target_is_the_sum_of_the_two_marked_values():
    b = TASKS["adding"].batch(20, 8, gen())
    assert b.x.shape == (8, 20, 2) and b.scored[:, -1].all() and b.scored.sum() == 8
    for i in range(8):
        values, marks = b.x[i, :, 0].tolist(), b.x[i, :, 1].tolist()
        marked = [v for v, m in zip(values, marks) if m == 1.0]
        assert len(marked) == 2
        assert b.y[i, -1].item() == pytest.approx(marked[0] + marked[1], abs=1e-6)
        first = marks.index(1.0)
        assert first < 2 and marks.index(1.0, first + 1) >= 10  # one in the first tenth, one in the second half


def test_copy_target_is_the_input_symbols_after_the_delay():
    T = 6
    b = TASKS["copy"].batch(T, 4, gen(1))
    L = T + 2 * COPY_K + 1
    ids = b.x.argmax(-1)
    assert b.x.shape == (4, L, COPY_SYMBOLS + 2)
    for i in range(4):
        symbols = ids[i, :COPY_K].tolist()
        assert all(1 <= s <= COPY_SYMBOLS for s in symbols)
        assert ids[i, COPY_K:COPY_K + T].tolist() == [0] * T  # the blanks
        assert ids[i, COPY_K + T].item() == COPY_SYMBOLS + 1  # the go mark
        assert b.y[i, L - COPY_K:].tolist() == symbols
        assert b.scored[i].nonzero().flatten().tolist() == list(range(L - COPY_K, L))


def test_agreement_answer_follows_the_subject():
    task = TASKS["agreement"]
    b = task.batch(10, 16, gen(2))
    for i in range(16):
        text, answer = describe_example(task, b, i)
        assert len(text) == 4 + 10 + 1 and text[:4] in SUBJECTS and text[-1] == "w"
        assert answer == ("a" if text[:4] == "cat." else "e")
        assert set(text) <= set(AGREE_CHARS)


def test_echo_tags_are_the_symbols_T_steps_back():
    b = TASKS["echo"].batch(3, 2, gen(3))
    ids = b.x.argmax(-1)
    for t in b.scored[0].nonzero().flatten().tolist():
        assert b.y[0, t] == ids[0, t - 3]


def test_bad_settings_are_refused_with_a_message():
    with pytest.raises(TaskError, match="between 2 and"):
        TASKS["adding"].batch(1, 4, gen())
    with pytest.raises(TaskError, match="unknown task"):
        get_task("sorting")
    with pytest.raises(TaskError, match="unknown cell"):
        ml.MemoryNet("transformer", 2, 1)


def test_an_lstm_trained_briefly_beats_chance_on_a_short_delay():
    run = ml.MemoryRun("lstm", "agreement", T=3, seed=0)
    records = run.advance(80)
    assert [r["step"] for r in records] == list(range(1, 81)) and all(r["cell"] == "lstm" for r in records)
    assert run.evaluate() > 0.9  # chance is 0.5


def test_advance_resumes_where_it_stopped():
    a = ml.MemoryRun("gru", "copy", T=2, seed=4)
    a.advance(3)
    a.advance(2)
    b = ml.MemoryRun("gru", "copy", T=2, seed=4)
    b.advance(5)
    assert [r["loss"] for r in a.history] == pytest.approx([r["loss"] for r in b.history])


def test_sweep_returns_one_accuracy_per_cell_and_T():
    points = []
    acc = ml.sweep("echo", [1, 2, 4], steps=2, on_point=lambda done, total, p: points.append((done, total, p)))
    assert set(acc) == set(ml.CELLS) and all(len(v) == 3 for v in acc.values())
    assert all(0.0 <= a <= 1.0 for v in acc.values() for a in v)
    assert [d for d, _, _ in points] == list(range(1, 10)) and {t for _, t, _ in points} == {9}
    with pytest.raises(TaskError):
        ml.sweep("echo", [], steps=2)


def test_input_saliency_matches_finite_differences():
    torch.manual_seed(0)
    task = TASKS["adding"]
    model = ml.MemoryNet("rnn", 2, 1, hidden=3).double()
    b = task.batch(5, 1, gen(5))
    b.x = b.x.double()
    g = ml.input_saliency(model, task, b)
    eps = 1e-6
    expected = []
    for s in range(5):
        grad = []
        for j in range(2):
            xp, xm = b.x.clone(), b.x.clone()
            xp[0, s, j] += eps
            xm[0, s, j] -= eps
            grad.append((model(xp)[0, -1, 0] - model(xm)[0, -1, 0]).item() / (2 * eps))
        expected.append(math.hypot(*grad))
    assert g.tolist() == pytest.approx(expected, rel=1e-5)


def test_saliency_is_zero_after_the_answer_and_uses_log_prob_for_classes():
    torch.manual_seed(1)
    task = TASKS["echo"]
    model = ml.MemoryNet("gru", task.in_dim, task.out_dim, hidden=4)
    b = task.batch(2, 1, gen(6))
    g = ml.input_saliency(model, task, b, pos=3)
    assert (g[4:] == 0).all() and (g[:4] > 0).all()


def test_forget_gates_match_one_lstm_step_by_hand():
    torch.manual_seed(2)
    task = TASKS["copy"]
    model = ml.MemoryNet("lstm", task.in_dim, task.out_dim, hidden=4)
    b = task.batch(1, 1, gen(7))
    f = ml.forget_gates(model, b)
    assert f.shape == (b.x.shape[1], 4)
    r = model.rnn
    pre = b.x[0, 0] @ r.weight_ih_l0.T + r.bias_ih_l0 + r.bias_hh_l0  # h_0 = 0
    assert f[0].tolist() == pytest.approx(torch.sigmoid(pre[4:8]).tolist(), abs=1e-6)
    assert (f[0] > 0.9).all()  # the forget bias starts the LSTM remembering
    with pytest.raises(TaskError):
        ml.forget_gates(ml.MemoryNet("gru", task.in_dim, task.out_dim, hidden=4), b)


def test_figures_are_titled_and_the_shapes_draw():
    hist = {"rnn": [{"step": 1, "loss": 1.0, "accuracy": 0.5}], "lstm": [{"step": 1, "loss": 0.5, "accuracy": 0.8}]}
    fig = mp.training_figure(hist, "accuracy", chance=0.5)
    assert fig.layout.title.text and fig.layout.xaxis.title.text and len(fig.data) == 3
    sweep = mp.sweep_figure([5, 10], {"rnn": [0.9, 0.5], "lstm": [1.0, 1.0]}, 0.5, 100)
    assert sweep.layout.yaxis.title.text == "held-out accuracy" and len(sweep.data) == 3
    for shape in mp.SHAPES:
        assert mp.shape_figure(shape).layout.title.text == shape
    with pytest.raises(ValueError):
        mp.shape_figure("many-to-some")
