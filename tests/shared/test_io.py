import pytest

from gmm_theory._io import replacing


def test_a_failed_write_keeps_the_finished_file(tmp_path):
    path = tmp_path / "result.bin"
    with replacing(path) as handle:
        handle.write(b"finished")
    with pytest.raises(RuntimeError):
        with replacing(path) as handle:
            handle.write(b"half")
            raise RuntimeError("interrupted")
    assert path.read_bytes() == b"finished"
    assert [p.name for p in tmp_path.iterdir()] == ["result.bin"]
