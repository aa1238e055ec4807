"""`ftdeck deployments list|show|create|delete` (management plane) and `ftdeck models list`."""

from __future__ import annotations

import argparse

from tui.commands.output import add_action, print_deletion, print_json, print_table, progress


def register(commands: argparse._SubParsersAction) -> None:
    deployments = commands.add_parser("deployments", help="model deployments (management plane)")
    actions = deployments.add_subparsers(dest="action", metavar="ACTION", required=True)

    add_action(actions, "list", "list deployments", list_deployments)
    add_action(actions, "show", "one deployment, with the inactivity rule and hosting cost", show_deployment, "name")
    create = add_action(actions, "create", "deploy a model or checkpoint", create_deployment, "name")
    create.add_argument("--model", required=True, help="fine-tuned model, checkpoint id (ftchkpt-...) or base model")
    create.add_argument("--sku", default="standard", help="standard, globalstandard or developertier")
    create.add_argument("--capacity", type=int, default=1)
    create.add_argument("--wait", action="store_true", help="wait until provisioned")
    add_action(actions, "delete", "delete a deployment (the model stays)", delete_deployment, "name")

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
        print_table(("name", "model", "sku", "capacity", "state"), [(d["name"], d["model"], d["sku"], d["capacity"], d["state"]) for d in found])
    return 0


def show_deployment(ws, args) -> int:
    from services import deployments

    from services.usage import last_call

    facts = deployments.describe(deployments.get_deployment(ws, args.name), last_call=last_call(ws.endpoint, args.name))
    if args.json:
        print_json(facts)
        return 0
    for key in ("name", "model", "sku", "capacity", "state", "created_days_ago", "days_left_at_most"):
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
                                            wait=args.wait, on_status=progress(args))
    facts = deployments.describe(created)
    if args.json:
        print_json(facts)
    else:
        print(f"{facts['name']}: {facts['state']} ({facts['model']})")
        for note in facts.get("notes", []):
            print(f"note: {note}")
    return 0


def delete_deployment(ws, args) -> int:
    from services import deployments

    return print_deletion(args, "name", args.name, deployments.delete_deployment(ws, args.name))


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
