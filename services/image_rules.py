"""Vision fine-tuning: the rules for images in training examples, checked offline.

Source: MicrosoftDocs/azure-ai-docs `articles/ai-foundry/openai/how-to/fine-tuning-vision.md` (commit
1d1935377fb4b04371f58964c6f00e8d8e57d400): "Model support" (gpt-4o 2024-08-06, gpt-4.1 2025-04-14 only),
"Image dataset requirements" (50,000 examples with images per training file, 64 images per example,
10 MB per image), "Format" (JPEG, PNG, WEBP; RGB or RGBA image mode; no images from the assistant),
and "Images can be provided either as publicly accessible URLs or data URIs containing base64 encoded
images". An image given as a data URL is decoded here and opened with Pillow (which reads only its
header for the format and mode); one given by a web address cannot be checked offline.
"""

from __future__ import annotations

import base64
import binascii
import io
from urllib.parse import unquote_to_bytes

VISION_MODELS = ("gpt-4o-2024-08-06", "gpt-4.1-2025-04-14")
MAX_IMAGE_EXAMPLES = 50_000  # examples holding an image, per training file
# "10 MB": whether decimal or binary megabytes is not said; the stricter reading, 10,000,000 bytes.
MAX_IMAGE_BYTES = 10_000_000
FORMATS = ("JPEG", "PNG", "WEBP")
MODES = ("RGB", "RGBA")
SCHEMES = ("https:", "http:", "data:")


def image_problem(url: str) -> str | None:
    """What is wrong with the image at `url` (None when nothing is, or it cannot be known offline)."""
    scheme = url[:6].lower()
    if not scheme.startswith(SCHEMES):
        return "an image URL must be a publicly accessible https:// address or a data: URL with the base64 encoded image"
    if not scheme.startswith("data:"):
        return None  # fetched by the service: not checkable offline
    header, comma, payload = url.partition(",")
    if not comma:
        return "the data URL has no ',' before its data; write data:image/png;base64,<the image in base64>"
    if ";base64" not in header.lower():
        data = unquote_to_bytes(payload)
    else:
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            return "the data URL's base64 cannot be decoded; encode the image file in standard base64"
    if len(data) > MAX_IMAGE_BYTES:
        return f"the image holds {len(data):,} bytes, over the 10 MB an image may hold; resize or compress it"
    return _image_format_problem(data)


def _image_format_problem(data: bytes) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, mode = image.format, image.mode
    except (UnidentifiedImageError, OSError, ValueError):
        return "the data URL holds no image ftdeck can read; use a JPEG, PNG or WEBP image"
    except Image.DecompressionBombError:
        return "the image is larger than any image Pillow opens safely; resize it"
    if kind not in FORMATS:
        return f"the image is {kind}; use JPEG, PNG or WEBP"
    if mode not in MODES:
        return f"the image's mode is {mode}; convert it to RGB or RGBA"
    return None


def images_in(record: dict) -> int:
    """How many images an example holds (a chat or preference example; others hold none)."""
    source = record.get("input") if "messages" not in record else record
    messages = source.get("messages") if isinstance(source, dict) else None
    count = 0
    for message in messages if isinstance(messages, list) else ():
        content = message.get("content") if isinstance(message, dict) else None
        if type(content) is list:
            count += sum(1 for part in content if isinstance(part, dict) and part.get("type") == "image_url")
    return count


def takes_images(model: str) -> bool:
    """A vision model, by the docs' list; a fine-tuned model of one (`gpt-4o-2024-08-06.ft-...`) too."""
    return any(model == name or model.startswith(name + ".ft-") for name in VISION_MODELS)
