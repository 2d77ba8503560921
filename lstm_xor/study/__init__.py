"""Studies of the code itself, beside the reports: speed against torch (bench), the scaling study,
inside a trained network (probe), baselines without recurrence, and the plain reference LSTM."""

EPOCH_STRINGS = 80_000  # one epoch of report 000: 100,000 strings, 20% held out; the benches extrapolate to it
