"""The shared frame helpers agree with pandas."""

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from algorithms.frames import in_values

_ids = st.sampled_from(["a", "b", "91330203188868695Y", "", "é", None])


@given(column=st.lists(_ids, max_size=30), values=st.lists(st.one_of(_ids, st.just(float("nan")), st.just(3))))
def test_in_values_is_pandas_isin(column, values):
    for frame in (pd.Series(column, dtype="str"), pd.Series(column, dtype=object)):
        assert in_values(frame, values).tolist() == frame.isin(values).tolist()
    # values as a string column too (taken as Arrow without a copy)
    frame = pd.Series(column, dtype="str")
    strings = [v for v in values if v is None or isinstance(v, str)]
    for as_strings in (pd.Series(strings, dtype="str"), pd.Index(strings, dtype="str"), pd.array(strings, "str")):
        assert in_values(frame, as_strings).tolist() == frame.isin(strings).tolist()
