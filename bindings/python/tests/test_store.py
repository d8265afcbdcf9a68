"""The store: a case engine and a routing engine journaled, the store closed, both
recovered with equal queries; snapshot + recover; retention, backup, info, verify. About
half a second (SQLite on a temporary directory)."""
import os

import pytest

import ccenter
from ccenter import Durability, Store, open_store
from test_workflow import MS0, fraud

H = 3600 * 1000


def cases_setup(ce):
    ce.add_workflow(fraud(), MS0)
    ce.set_actor("a1", "agent", MS0)
    ce.set_actor("s1", "supervisor", MS0)
    c = ce.open("c1", "fraud", "a1", MS0)
    c.set("urgent", True, "a1", MS0).set("account", "ACC", "a1", MS0)
    c.transition("stop", "a1", MS0 + 1000, evidence={"police_ref": "P"})
    ce.open("c2", "fraud", "a1", MS0 + 2000)


def test_round_trip(tmp_path):
    path = tmp_path / "st.db"
    lines = []
    with open_store(path, durability=Durability.MEMORY) as st:
        assert st.durability is Durability.MEMORY
        ce = st.cases_new("cases", MS0, audit_key=b"k", on_audit=lines.append)
        cases_setup(ce)
        eng = st.engine_new("acd", 0)
        eng.add_queue("q1", now=0)
        eng.enqueue("k1", "q1", 10)
        before = (ce.info("c1"), ce.info("c2"), ce.stats("fraud"), ce.audit_head())
        qbefore = eng.queue_info("q1", 20)
        st.flush()
        assert st.flush_deadline is None
        info = st.info()
        assert info.records > 0 and info.schema == 2 and not info.failed
        st.verify(b"k")
        with pytest.raises(ccenter.Corrupt):
            st.verify(b"wrong key")
        with pytest.raises(ccenter.AlreadyExists):
            st.cases_new("cases", MS0)
        with pytest.raises(ccenter.Busy):
            st.cases_recover("cases", audit_key=b"k")
    ce.close()
    eng.close()
    with Store(path) as st:
        ce = st.cases_recover("cases", audit_key=b"k")
        after = (ce.info("c1"), ce.info("c2"), ce.stats("fraud"), ce.audit_head())
        assert after == before
        assert len(list(ce.events())) > 0  # the replay raised the events again
        eng = st.engine_recover("acd")
        assert eng.queue_info("q1", 20) == qbefore
        with pytest.raises(ccenter.NotFound):
            st.cases_recover("nobody")
        ce.close()
        eng.close()
    assert ccenter.verify_audit(lines, b"k") == len(lines)


def test_snapshot_retention_backup(tmp_path):
    path = str(tmp_path / "s.db")
    st = Store(path)
    st.set_durability(Durability.GROUPED, max_ms=50, max_records=100)
    st.set_retention(1, archive=tmp_path / "archive.db")
    ce = st.cases_new("cases", MS0)
    cases_setup(ce)
    st.snapshot("cases")
    ce.open("c3", "fraud", "a1", MS0 + 5000)
    st.snapshot("cases")
    ce.advance(MS0 + 50 * H)
    before = (ce.info("c1"), ce.info("c3"), ce.stats("fraud"), ce.audit_head())
    info = st.info()
    assert info.snapshots >= 1 and info.removed > 0
    st.backup(tmp_path / "copy.db")
    with pytest.raises(ccenter.AlreadyExists):
        st.backup(tmp_path / "copy.db")
    with pytest.raises(ccenter.NotFound):
        st.snapshot("nobody")
    st.verify()
    ce.close()
    st.close()
    st.close()  # idempotent
    with pytest.raises(ccenter.StateError):
        st.info()
    for p in (path, str(tmp_path / "copy.db")):
        with open_store(p) as st2:
            ce = st2.cases_recover("cases")
            assert (ce.info("c1"), ce.info("c3"), ce.stats("fraud"), ce.audit_head()) == before
            ce.close()


def test_written_and_sync_from_a_thread(tmp_path):
    import threading
    path = tmp_path / "w.db"
    with open_store(path, durability=Durability.WRITTEN) as st:
        assert st.durability is Durability.WRITTEN
        eng = st.engine_new("acd", 0)
        eng.add_queue("q1", now=0)
        errors = []

        def syncer():
            try:
                for _ in range(20):
                    st.sync()
            except Exception as e:  # reported below, on the test's thread
                errors.append(e)
        t = threading.Thread(target=syncer)
        t.start()
        for i in range(200):
            eng.enqueue("k%d" % i, "q1", 10 + i)
        t.join()
        assert errors == []
        st.sync()
        info = st.info()
        assert info.pending == 0 and info.records == 1 + 200 and info.syncs == 0
        eng.close()
    with open_store(path) as st:
        eng = st.engine_recover("acd")
        assert eng.queue_info("q1", 300).waiting == 200
        eng.close()


def test_store_errors(tmp_path):
    p = tmp_path / "x.db"
    with open_store(p) as st:
        with pytest.raises(ccenter.Busy):
            Store(p)
        with pytest.raises(ccenter.OutOfRange):
            st.set_durability(Durability.GROUPED, max_ms=0)
        with pytest.raises(ValueError):
            st.set_durability(7)
        with pytest.raises(ccenter.InvalidArgument):
            st.cases_new("bad name!", MS0)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(ccenter.Corrupt):
        Store(junk)
    with pytest.raises(ccenter.StoreIOError):
        Store(tmp_path / "no" / "such" / "dir.db")
    assert not os.path.exists(tmp_path / "no")
