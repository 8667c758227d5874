"""The sweep timer: stranded transactions (unfinished, nobody's lease) are recovered from their journal."""

from __future__ import annotations

from datetime import timedelta

from function_calls import function, timer

from fabctl.application.queries import get_transaction, list_transactions
from fabctl.domain.transaction import Transaction

from .conftest import Site


def strand(site: Site, transaction_id: str) -> Transaction:
    """A deployment to dev whose process died before it journaled a step: unfinished, its lease gone."""
    app = site.app
    (deployed,) = list_transactions(app.uow)
    tx = Transaction.start(transaction_id, deployed.workspace_id, "dev", app.clock.now(), site.source, actor="ci")
    with app.uow as uow:
        uow.transactions.add(tx)
        uow.commit()
    return tx


def test_the_sweep_resumes_a_stranded_deployment_once(site: Site) -> None:
    site.deploy("dev", "deploy-dev")
    strand(site, "tx-stranded")

    function("outbox_and_recovery_sweep")(timer())
    function("outbox_and_recovery_sweep")(timer())

    recovered = get_transaction(site.app.uow, "tx-stranded")
    # Nothing was left to do (dev already held the source), so the interrupted transaction is committed.
    assert recovered.state.value == "committed"
    assert recovered.recovered_by == "fabctl recovery sweep"
    # The resume ran once (the second sweep found nothing stranded), as one transaction with nothing to write.
    resumes = [t for t in list_transactions(site.app.uow) if t.resumes == "tx-stranded"]
    assert [(t.state.value, len(t.steps)) for t in resumes] == [("committed", 0)]
    with site.app.uow as uow:
        assert uow.outbox.pending() == []


def test_the_sweep_leaves_a_transaction_whose_holder_still_has_the_lease(site: Site) -> None:
    site.deploy("dev", "deploy-dev")
    tx = strand(site, "tx-running")
    app = site.app
    with app.uow as uow:
        uow.leases.acquire(tx.workspace_id, tx.id, app.clock.now() + timedelta(minutes=5),
                           process=app.machine.this_process(), user="ci")  # fmt: skip
        uow.commit()

    function("outbox_and_recovery_sweep")(timer())

    assert get_transaction(app.uow, "tx-running").state.value == "started"
