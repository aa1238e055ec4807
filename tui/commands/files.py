"""`ftdeck files list|show|upload|import|download|delete`."""

from __future__ import annotations

import argparse
import sys

from tui.commands.output import add_action, print_deletion, print_json, print_table, progress, when


def register(commands: argparse._SubParsersAction) -> None:
    files = commands.add_parser("files", help="training files: list, show, upload, download, delete")
    actions = files.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = add_action(actions, "list", "list files", list_files)
    listing.add_argument("--purpose", help="only this purpose (fine-tune, fine-tune-results, ...)")
    add_action(actions, "show", "one file's details", show_file, "file_id")
    upload = add_action(actions, "upload", "validate, upload and wait until processed", upload_file, "path")
    upload.add_argument("--model", help="the model it is for: checks format and token limit")
    upload.add_argument("--no-validate", action="store_true", help="skip the local check")
    upload.add_argument("--no-wait", action="store_true", help="return once uploaded, before processing")
    upload.add_argument("--reuse", choices=("ask", "yes", "no"), default="ask",
                        help="when identical bytes are already uploaded: ask (on a terminal), yes, or no (upload again)")
    upload.add_argument("--in-parts", action="store_true",
                        help="send it through the Uploads API in parts, resumable (always for files over 512 MB)")
    upload.add_argument("--part-size", metavar="SIZE", help="bytes per part, e.g. 64MB (default), up to 512MB")
    importing = add_action(actions, "import", "import a file from a URL or Azure Blob (SAS or Entra) and wait until processed",
                           import_file, "url")
    importing.add_argument("--name", help="the file's name on the service (default: the URL's last path segment)")
    importing.add_argument("--no-wait", action="store_true", help="return once imported, before processing")
    download = add_action(actions, "download", "save a file's content", download_file, "file_id")
    download.add_argument("-o", "--output", default=".", help="file or folder (default: here, under the service's name for it, made a plain file name)")
    download.add_argument("--force", action="store_true", help="overwrite an existing file")
    add_action(actions, "delete", "delete a file", delete_file, "file_id")


def list_files(ws, args) -> int:
    from services import files

    found = files.list_files(ws, args.purpose)
    if args.json:
        print_json(found)
    else:
        print_table(("id", "filename", "purpose", "status", "bytes", "created"),
                    [(f["id"], f["filename"], f["purpose"], f["status"], f["bytes"], when(f["created_at"])) for f in found])
    return 0


def show_file(ws, args) -> int:
    from services import files

    body = files.get_file(ws, args.file_id)
    if args.json:
        print_json(body)
    else:
        for key in ("id", "filename", "purpose", "status", "status_details", "bytes"):
            print(f"{key:15} {body.get(key) if body.get(key) is not None else '-'}")
        print(f"{'created':15} {when(body.get('created_at'))}")
    return 0


def upload_file(ws, args) -> int:
    from services import files

    def reuse(existing: dict) -> bool:
        if args.reuse == "yes":
            return True
        if args.reuse == "no" or not sys.stdin.isatty():
            return False
        answer = input(f"{existing['id']} ({existing['filename']}) has the same bytes. Reuse it? [Y/n] ")
        return answer.strip().lower() in ("", "y", "yes")

    from services import uploads

    part_bytes = uploads.parse_size(args.part_size) if args.part_size else None
    result = files.upload_file(ws, args.path, model=args.model, validate=not args.no_validate,
                               wait=not args.no_wait, reuse=reuse, on_status=progress(args),
                               in_parts=args.in_parts or part_bytes is not None, part_bytes=part_bytes)
    if result.report and result.report.warning_counts["too_few"]:
        # A file does not say whether it will train or validate: under 10 it is said, and refused only
        # as a job's training file (`jobs create`).
        from services.datasets import too_few_for_training

        print(f"ftdeck: note: {too_few_for_training(result.report.examples)}; fine as a validation file", file=sys.stderr)
    if args.json:
        print_json({**result.file, "reused": result.reused, "validation": result.report.to_json() if result.report else None})
    else:
        verb = "reusing" if result.reused else "uploaded"
        print(f"{verb} {result.file['id']} ({result.file['filename']}): {result.file['status']}")
    return 0


def import_file(ws, args) -> int:
    from services import file_import

    body = file_import.import_file(ws, args.url, name=args.name, wait=not args.no_wait, on_status=progress(args))
    if args.json:
        print_json(body)
    else:
        print(f"imported {body['id']} ({body['filename']}): {body['status']}")
    return 0


def download_file(ws, args) -> int:
    from services import files
    from services.safe_names import UnsafeName

    notes: list[str] = []
    try:
        path = files.download_file(ws, args.file_id, args.output, overwrite=args.force, on_note=notes.append)
    except UnsafeName as exc:
        raise UnsafeName(f"{args.file_id}: {exc}; pass -o FILE to name it yourself") from None
    if args.json:
        print_json({"id": args.file_id, "path": str(path), "renamed": notes[0] if notes else None})
    else:
        print(f"saved as {path} ({notes[0]})" if notes else f"saved {path}")
    return 0


def delete_file(ws, args) -> int:
    from services import files

    return print_deletion(args, "id", args.file_id, files.delete_file(ws, args.file_id))
