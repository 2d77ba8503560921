"""Optimisers against steps computed by hand, clipping, and learning-rate schedules."""

import numpy as np
import pytest

from lstm_xor.optim import SGD, Adam, clip_global_norm, lr_at, make_optimizer, parse_schedule


def _textbook_adam(params, grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Kingma & Ba, Algorithm 1, written out literally."""
    p, m, v = params.astype(np.float64), np.zeros(params.size), np.zeros(params.size)
    out = []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p.copy())
    return out


def test_adam_first_step_by_hand():
    # t = 1: m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps)
    p = np.array([1.0, -2.0, 0.5, 3.0])
    g = np.array([0.2, -4.0, 0.0, 1e-9])
    adam = Adam(4, np.float64)
    adam.step(p, g, 0.1)
    expected = np.array([1.0 - 0.1 * 0.2 / (0.2 + 1e-8), -2.0 + 0.1 * 4.0 / (4.0 + 1e-8), 0.5,
                         3.0 - 0.1 * 1e-9 / (1e-9 + 1e-8)])
    np.testing.assert_allclose(p, expected, rtol=1e-13, atol=0)
    np.testing.assert_allclose(adam.m, 0.1 * g, rtol=1e-15)
    np.testing.assert_allclose(adam.v, 0.001 * g * g, rtol=1e-13)
    assert adam.t == 1


def test_adam_second_step_by_hand():
    p = np.array([1.0])
    adam = Adam(1, np.float64)
    adam.step(p, np.array([1.0]), 0.01)
    adam.step(p, np.array([3.0]), 0.01)
    m = 0.9 * 0.1 * 1.0 + 0.1 * 3.0  # 0.39
    v = 0.999 * 0.001 * 1.0 + 0.001 * 9.0  # 0.009999
    step = 0.01 * (m / (1 - 0.81)) / (np.sqrt(v / (1 - 0.999 ** 2)) + 1e-8)
    assert p[0] == pytest.approx(1.0 - 0.01 * 1.0 / (1.0 + 1e-8) - step, rel=1e-13)
    assert adam.m[0] == pytest.approx(m, rel=1e-14) and adam.v[0] == pytest.approx(v, rel=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_matches_the_textbook_over_many_steps(dtype):
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(50)
    grads = [rng.standard_normal(50) * 10.0 ** rng.integers(-6, 3) for _ in range(30)]
    p = p0.astype(dtype)
    adam = Adam(50, dtype, beta1=0.8, beta2=0.99, eps=1e-6)
    expected = _textbook_adam(p0, grads, 3e-3, 0.8, 0.99, 1e-6)
    for g, e in zip(grads, expected, strict=True):
        adam.step(p, g.astype(dtype), 3e-3)
        assert p.dtype == dtype
        np.testing.assert_allclose(p, e, rtol=1e-12 if dtype == np.float64 else 2e-6, atol=1e-7)


def test_adam_state_round_trip():
    rng = np.random.default_rng(1)
    a, b = Adam(10, np.float64), Adam(10, np.float64)
    pa = rng.standard_normal(10)
    for _ in range(3):
        a.step(pa, rng.standard_normal(10), 0.1)
    b.load_state({k: np.copy(v) for k, v in a.state().items()})
    pb = pa.copy()
    g = rng.standard_normal(10)
    a.step(pa, g, 0.1)
    b.step(pb, g, 0.1)
    np.testing.assert_array_equal(pa, pb)
    assert b.t == 4


def test_optimizers_leave_the_gradient_alone():
    g = np.array([1.0, -2.0])
    for opt in (Adam(2, np.float64), SGD(2, np.float64), SGD(2, np.float64, momentum=0.9)):
        opt.step(np.zeros(2), g, 0.1)
        np.testing.assert_array_equal(g, [1.0, -2.0])


def test_sgd_by_hand():
    p = np.array([1.0, 2.0])
    sgd = SGD(2, np.float64)
    sgd.step(p, np.array([0.5, -1.0]), 0.1)
    np.testing.assert_allclose(p, [0.95, 2.1], rtol=1e-15)
    sgd.step(p, np.array([0.5, -1.0]), 0.1)
    np.testing.assert_allclose(p, [0.9, 2.2], rtol=1e-15)
    assert sgd.t == 2


def test_sgd_momentum_by_hand():
    p = np.array([1.0])
    sgd = SGD(1, np.float64, momentum=0.9)
    steps = [(2.0, 2.0), (1.0, 0.9 * 2.0 + 1.0), (-4.0, 0.9 * 2.8 - 4.0)]  # (g, velocity after)
    expected = 1.0
    for g, velocity in steps:
        sgd.step(p, np.array([g]), 0.5)
        expected -= 0.5 * velocity
        assert sgd.velocity[0] == pytest.approx(velocity, rel=1e-14)
        assert p[0] == pytest.approx(expected, rel=1e-14)
    fresh = SGD(1, np.float64, momentum=0.9)
    fresh.load_state(sgd.state())
    np.testing.assert_array_equal(fresh.velocity, sgd.velocity)


def test_make_optimizer():
    assert isinstance(make_optimizer("adam", 3, np.float32), Adam)
    sgd = make_optimizer("sgd", 3, np.float32, momentum=0.5)
    assert isinstance(sgd, SGD) and sgd.momentum == 0.5
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("rmsprop", 3, np.float32)


def test_clip_global_norm():
    g = np.array([3.0, 4.0])
    assert clip_global_norm(g, 10.0) == pytest.approx(5.0)
    np.testing.assert_array_equal(g, [3.0, 4.0])  # under the limit: untouched
    assert clip_global_norm(g, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(g, [0.6, 0.8], rtol=1e-15)
    assert np.linalg.norm(g) == pytest.approx(1.0)
    big = np.array([30.0, 40.0], dtype=np.float32)
    assert clip_global_norm(big, 0.0) == pytest.approx(50.0)  # 0 turns clipping off
    np.testing.assert_array_equal(big, [30.0, 40.0])
    assert clip_global_norm(np.zeros(3), 1.0) == 0.0


def test_parse_schedule_and_lr_at():
    schedule = parse_schedule("0:0.00035,20:0.00004")
    assert schedule == [(0, 0.00035), (20, 4e-05)]
    assert [lr_at(schedule, e) for e in (0, 1, 19, 20, 100)] == [0.00035] * 3 + [4e-05] * 2
    assert parse_schedule(" 0 : 0.1 , 3:1e-2") == [(0, 0.1), (3, 0.01)]
    assert lr_at(parse_schedule("0:0.5"), 7) == 0.5


@pytest.mark.parametrize("text", [
    "", "0", "0:", ":0.1", "a:b", "0:0.1,", "0:0.1:2", "0.5:0.1", "1:0.1", "0:0.1,0:0.2",
    "0:0.1,5:0.2,3:0.1", "0:-0.1", "0:0", "0:nan", "0:inf", "0:0.1;5:0.2",
])
def test_malformed_schedules(text):
    with pytest.raises(ValueError, match="lr_schedule"):
        parse_schedule(text)


def test_gradient_norm_is_summed_in_float64():
    big = np.full(4, 1e20, np.float32)  # a float32 dot overflows to inf here
    assert clip_global_norm(big.copy(), 1.0) == pytest.approx(2e20)
    clipped = big.copy()
    clip_global_norm(clipped, 1.0)
    assert np.allclose(clipped, 0.5), "clipped to norm 1, not to zero"
    assert np.isnan(clip_global_norm(np.array([1.0, np.nan], np.float32), 1.0))
