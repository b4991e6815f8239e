"""Be told when a nightly batch fails: `python -m flows.alerts --block slack-webhook/nightly-alerts`.

Creates (or replaces) the Prefect automation "nightly batch failed": when a `nightly-batch` run
ends Failed or Crashed (a batch with failed books ends Failed, "2 produced, 0 skipped, 1 failed"),
send a notification through the named notification block (Slack, e-mail, Teams, a webhook...:
any of Prefect's notification blocks, created beforehand; see the README). Needs PREFECT_API_URL.
"""

from __future__ import annotations

import flows  # noqa: F401  (quiet Prefect defaults, set before Prefect is imported)

import argparse

AUTOMATION = "nightly batch failed"
BODY = ("Nightly batch {{ flow_run.name }} ended {{ flow_run.state.name }}: {{ flow_run.state.message }}\n"
        "{{ flow_run|ui_url }}")


def create_alert(block: str, flow_name: str = "nightly-batch") -> str:
    """`block`: '<block type slug>/<block name>'. Returns the automation's id."""
    from prefect.client.orchestration import get_client
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.exceptions import ObjectNotFound

    block_type, _, block_name = block.partition("/")
    with get_client(sync_client=True) as client:
        try:
            document = client.read_block_document_by_name(block_name, block_type_slug=block_type)
        except ObjectNotFound:
            raise SystemExit(f"error: no notification block {block!r} (see `prefect block ls`)") from None
        for old in client.read_automations_by_name(AUTOMATION):
            client.delete_automation(old.id)
        trigger = EventTrigger(expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
                               match={"prefect.resource.id": "prefect.flow-run.*"},
                               match_related={"prefect.resource.role": "flow", "prefect.resource.name": flow_name},
                               posture=Posture.Reactive, threshold=1)
        action = SendNotification(block_document_id=document.id, subject="Nightly audiobook batch failed", body=BODY)
        return str(client.create_automation(AutomationCore(
            name=AUTOMATION, description=f"Notify through {block} when a {flow_name} run fails",
            trigger=trigger, actions=[action])))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.alerts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--block", required=True, help="notification block, e.g. slack-webhook/nightly-alerts")
    args = parser.parse_args(argv)
    print(f"created automation {AUTOMATION!r} ({create_alert(args.block)})")


if __name__ == "__main__":
    main()
