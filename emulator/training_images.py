"""Images in training files, as Azure's vision fine-tuning treats them (emulator/SOURCES.md, "Vision").

Source: MicrosoftDocs/azure-ai-docs `articles/ai-foundry/openai/how-to/fine-tuning-vision.md`. An image
that breaks a rule of its "Format" (JPEG, PNG or WEBP; RGB or RGBA) or is over 10 MB does not fail
the file: its "Troubleshooting" table says such images are *skipped* during training. So the file
check only counts them, and the job says how many it skips. A file of more than 50,000 examples with
images ("Max examples with images per training file") is refused: the docs give a maximum and say
nothing of skipping; the stricter reading. Only gpt-4o 2024-08-06 and gpt-4.1 2025-04-14 are trained
on images ("Model support"): another model is refused at job creation (the answer is not documented).
Images by web address are fetched by Azure at training; the emulator fetches nothing and takes them.
"""

from __future__ import annotations

import base64
import binascii
import io

VISION_MODELS = ("gpt-4o-2024-08-06", "gpt-4.1-2025-04-14")
MAX_IMAGE_EXAMPLES = 50_000
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # "10 MB"; skipping is lenient, so the larger (binary) reading
FORMATS = ("JPEG", "PNG", "WEBP")
MODES = ("RGB", "RGBA")


def skipped_because(url: str) -> str | None:
    """Why Azure would skip this image in training, or None. Only data URLs can be judged here."""
    if not url[:5].lower() == "data:":
        return None
    header, _, payload = url.partition(",")
    try:
        data = base64.b64decode(payload, validate=True) if ";base64" in header.lower() else payload.encode()
    except (binascii.Error, ValueError):
        return "not a readable image"
    if len(data) > MAX_IMAGE_BYTES:
        return "over 10 MB"
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, mode = image.format, image.mode
    except (OSError, ValueError, Image.DecompressionBombError):
        return "not a readable image"
    if kind not in FORMATS:
        return f"{kind}, not JPEG, PNG or WEBP"
    if mode not in MODES:
        return f"mode {mode}, not RGB or RGBA"
    return None


def takes_images(model: str) -> bool:
    return any(model == name or model.startswith(name + ".ft-") for name in VISION_MODELS)
