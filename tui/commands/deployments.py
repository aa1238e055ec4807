"""`ftdeck deployments list|show|create|update|delete` (management plane) and `ftdeck models list`."""

from __future__ import annotations

import argparse

from tui.commands.output import add_action, print_deletion, print_json, print_table, progress


def register(commands: argparse._SubParsersAction) -> None:
    deployments = commands.add_parser("deployments", help="model deployments (management plane)")
    actions = deployments.add_subparsers(dest="action", metavar="ACTION", required=True)

    add_action(actions, "list", "list deployments", list_deployments)
    add_action(actions, "show", "one deployment, with the inactivity rule and hosting cost", show_deployment, "name")
    create = add_action(actions, "create", "deploy a model or checkpoint", create_deployment, "name")
    create.add_argument("--model", required=True,
                        help="fine-tuned model, checkpoint id (ftchkpt-...) or base model (gpt-4o-mini-2024-07-18, or gpt-4o-mini with --model-version)")
    create.add_argument("--model-version", help="a base model's version, e.g. 2024-07-18 (taken from a dated --model)")
    create.add_argument("--sku", default="standard", help="standard, globalstandard, developertier (24 h, capacity 50) or provisionedmanaged")
    create.add_argument("--capacity", type=int, help="1 by default; 50 for developertier")
    create.add_argument("--source-account", metavar="RESOURCE_ID",
                        help="deploy a model fine-tuned in another resource (region or subscription): its ARM id "
                             "/subscriptions/S/resourceGroups/G/providers/Microsoft.CognitiveServices/accounts/A; "
                             "across tenants also set FTDECK_SOURCE_TENANT_TOKEN to the source tenant's token")
    create.add_argument("--wait", action="store_true", help="wait until provisioned")
    update = add_action(actions, "update", "change a deployment's capacity (and sku)", update_deployment, "name")
    update.add_argument("--capacity", type=int, required=True)
    update.add_argument("--sku", help="standard, globalstandard, developertier or provisionedmanaged (default: unchanged)")
    add_action(actions, "delete", "delete a deployment (the model stays), waiting until Azure has", delete_deployment, "name")

    models = commands.add_parser("models", help="base and fine-tuned models")
    model_actions = models.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_action(model_actions, "list", "list models and what each can do", show_models)
    add_action(model_actions, "delete", "delete a fine-tuned model (not while deployed)", delete_model, "model")


def list_deployments(ws, args) -> int:
    from services import deployments

    found = [deployments.describe(d) for d in deployments.list_deployments(ws)]
    if args.json:
        print_json(found)
    else:
        print_table(("name", "model", "version", "sku", "capacity", "state"),
                    [(d["name"], d["model"], d["version"], d["sku"], d["capacity"], d["state"]) for d in found])
    return 0


def show_deployment(ws, args) -> int:
    from services import deployments

    from services.usage import last_call

    facts = deployments.describe(deployments.get_deployment(ws, args.name), last_call=last_call(ws.endpoint, args.name))
    if args.json:
        print_json(facts)
        return 0
    for key in ("name", "model", "version", "source_account", "sku", "capacity", "state", "created_days_ago",
                "days_left_at_most", "hours_left_at_most"):
        if key in facts:
            print(f"{key.replace('_', ' '):17} {facts[key]}")
    for note in facts.get("notes", []):
        print(f"note: {note}")
    return 0


def create_deployment(ws, args) -> int:
    from services import deployments
    from services.errors import FtdeckError
    from services.model_ids import checkpoint_name_problem

    if problem := checkpoint_name_problem(args.model):
        raise FtdeckError(f"--model: {problem}", exit_code=2)
    created = deployments.create_deployment(ws, args.name, args.model, sku=args.sku, capacity=args.capacity,
                                            version=args.model_version, source_account=args.source_account,
                                            wait=args.wait, on_status=progress(args))
    facts = deployments.describe(created)
    if args.json:
        print_json(facts)
    else:
        print(f"{facts['name']}: {facts['state']} ({facts['model']})")
        for note in facts.get("notes", []):
            print(f"note: {note}")
    return 0


def update_deployment(ws, args) -> int:
    from services import deployments

    facts = deployments.describe(deployments.update_deployment(ws, args.name, capacity=args.capacity, sku=args.sku,
                                                               on_status=progress(args)))
    if args.json:
        print_json(facts)
    else:
        print(f"{facts['name']}: {facts['sku']}, capacity {facts['capacity']} ({facts['state']})")
    return 0


def delete_deployment(ws, args) -> int:
    from services import deployments

    return print_deletion(args, "name", args.name, deployments.delete_deployment(ws, args.name, on_status=progress(args)))


def show_models(ws, args) -> int:
    from services.models import list_models

    found = list_models(ws)
    if args.json:
        print_json(found)
        return 0
    can = lambda m, c: "yes" if (m.get("capabilities") or {}).get(c) else "-"  # noqa: E731
    print_table(("id", "kind", "fine-tune", "chat", "inference"),
                [(m["id"], "fine-tuned" if ".ft-" in m["id"] else "base", can(m, "fine_tune"), can(m, "chat_completion"), can(m, "inference")) for m in found])
    return 0


def delete_model(ws, args) -> int:
    from services.models import delete_model

    return print_deletion(args, "id", args.model, delete_model(ws, args.model))
