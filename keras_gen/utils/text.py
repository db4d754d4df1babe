"""Caption checks shared by the text-to-image model's Python API, its export and its app (same rules, same words)."""

MAX_CAPTION_BYTES = 512  # one caption may not be longer than this many UTF-8 bytes


def check_captions(captions, max_words, name="text", limit=None):
    """`captions` (str or bytes each) as a list of str; a clear error naming `name` for an empty batch, an empty
    or blank caption, bytes that are not UTF-8, or a caption of more than `max_words` words or
    `MAX_CAPTION_BYTES` bytes."""
    if isinstance(captions, (str, bytes)):
        raise ValueError(f"`{name}` must be a list of captions, not one string. Received: {name}={captions!r}")
    captions = list(captions)
    if not captions:
        raise ValueError(f"`{name}` must hold at least one caption. Received: {name}=[]")
    if limit is not None and len(captions) > limit:
        raise ValueError(f"`{name}` may hold at most {limit} captions. Received: {len(captions)} captions")
    checked = []
    for caption in captions:
        if isinstance(caption, bytes):
            try:
                caption = caption.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"`{name}` must be valid UTF-8. Received: {name}={caption!r}") from None
        caption = str(caption)
        if not caption.strip():
            raise ValueError(f"`{name}` must not contain empty captions. Received: {name}={caption!r}")
        if len(caption.split()) > max_words or len(caption.encode("utf-8")) > MAX_CAPTION_BYTES:
            raise ValueError(f"`{name}` captions must have at most {max_words} words and {MAX_CAPTION_BYTES} bytes. "
                             f"Received: {name}={caption[:80]!r}{'...' if len(caption) > 80 else ''} "
                             f"({len(caption.split())} words)")
        checked.append(caption)
    return checked
