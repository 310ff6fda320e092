"""Which language validation messages speak, and the toolkit's own messages.

Field messages ("This field is required.", "Not a valid integer value.") come from
WTForms' own gettext catalogues. The few messages WTForms has no catalogue entry for
(a JSON type that is not a string, an unknown field, a malformed body) are translated
here, for the languages WTForms ships that the toolkit has translations for.

The language is negotiated from the request's ``Accept-Language`` header against the
catalogues WTForms ships. An unknown or malformed header falls back to English; it
never raises.
"""

from __future__ import annotations

import os
import typing as t

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from wtforms import i18n

#: Translations of the toolkit's own messages, by WTForms catalogue name.
_OWN_MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "Not a valid string.": "不是有效的字符串。",
        "Not a valid boolean value.": "不是有效的布尔值。",
        "Expected a JSON object.": "应为 JSON 对象。",
        "Expected a list.": "应为列表。",
        "Unknown field.": "未知字段。",
        "Send this field in the JSON body.": "请在 JSON 请求体中发送该字段。",
        "Send this field only once.": "该字段只能发送一次。",
        "This field cannot be null.": "该字段不能为 null。",
        "Unknown field in the query string: send it in the JSON body.": (
            "查询字符串中的未知字段：请在 JSON 请求体中发送。"
        ),
        "Unknown field in the body: send it in the query string.": (
            "请求体中的未知字段：请在查询字符串中发送。"
        ),
        "Send at most %(max)d items.": "最多发送 %(max)d 项。",
        "Not a valid value.": "不是有效的值。",
        "The request body is not valid JSON.": "请求体不是有效的 JSON。",
        "The request body must be a JSON object.": "请求体必须是 JSON 对象。",
        "Send the request body as JSON, with 'Content-Type: application/json'.": (
            "请以 JSON 格式发送请求体，并设置 'Content-Type: application/json'。"
        ),
        "The request body is larger than %(max)d bytes.": "请求体超过 %(max)d 字节。",
        "Number out of range.": "数值超出范围。",
        "Text must not contain NUL characters.": "文本不能包含 NUL 字符。",
        "The request body is not valid UTF-8 text.": "请求体不是有效的 UTF-8 文本。",
        "Send the request body uncompressed, without 'Content-Encoding'.": (
            "请发送未压缩的请求体，不要设置 'Content-Encoding'。"
        ),
    },
    "zh_TW": {
        "Not a valid string.": "不是有效的字串。",
        "Not a valid boolean value.": "不是有效的布林值。",
        "Expected a JSON object.": "應為 JSON 物件。",
        "Expected a list.": "應為清單。",
        "Unknown field.": "未知欄位。",
        "Send this field in the JSON body.": "請在 JSON 請求內容中傳送此欄位。",
        "Send this field only once.": "此欄位只能傳送一次。",
        "This field cannot be null.": "此欄位不能為 null。",
        "Unknown field in the query string: send it in the JSON body.": (
            "查詢字串中的未知欄位：請在 JSON 請求內容中傳送。"
        ),
        "Unknown field in the body: send it in the query string.": (
            "請求內容中的未知欄位：請在查詢字串中傳送。"
        ),
        "Send at most %(max)d items.": "最多傳送 %(max)d 項。",
        "Not a valid value.": "不是有效的值。",
        "The request body is not valid JSON.": "請求內容不是有效的 JSON。",
        "The request body must be a JSON object.": "請求內容必須是 JSON 物件。",
        "Send the request body as JSON, with 'Content-Type: application/json'.": (
            "請以 JSON 格式傳送請求內容，並設定 'Content-Type: application/json'。"
        ),
        "The request body is larger than %(max)d bytes.": (
            "請求內容超過 %(max)d 位元組。"
        ),
        "Number out of range.": "數值超出範圍。",
        "Text must not contain NUL characters.": "文字不能包含 NUL 字元。",
        "The request body is not valid UTF-8 text.": "請求內容不是有效的 UTF-8 文字。",
        "Send the request body uncompressed, without 'Content-Encoding'.": (
            "請傳送未壓縮的請求內容，不要設定 'Content-Encoding'。"
        ),
    },
}

#: Language tags that name a catalogue under another name.
_ALIASES = {
    "zh_cn": "zh",
    "zh_sg": "zh",
    "zh_hans": "zh",
    "zh_hant": "zh_TW",
    "zh_hk": "zh_TW",
    "zh_mo": "zh_TW",
}

_available: dict[str, str] | None = None
_header_cache: dict[str, str | None] = {}
_translations_cache: dict[str, t.Any] = {}
_HEADER_CACHE_SIZE = 512


def available_locales() -> dict[str, str]:
    """Map lower-cased catalogue names (``"zh"``, ``"zh_tw"``) to WTForms' spelling."""
    global _available
    if _available is None:
        path = i18n.messages_path()
        names = [n for n in os.listdir(path) if os.path.isdir(os.path.join(path, n))]
        _available = {name.lower(): name for name in names}
    return _available


def resolve_locale(tag: str) -> str | None:
    """Return the WTForms catalogue for one language tag, ``None`` for English/unknown.

    :param tag: a tag such as ``"zh-CN"``, ``"zh_TW"`` or ``"en"``.
    """
    key = tag.strip().lower().replace("-", "_")
    if not key or key == "*" or key == "en" or key.startswith("en_"):
        return None
    available = available_locales()
    if key in _ALIASES:
        return _ALIASES[key]
    if key in available:
        return available[key]
    primary = key.split("_", 1)[0]
    if primary == "en":
        return None
    return available.get(primary)


def negotiate(header: str | None) -> str | None:
    """Pick the catalogue for an ``Accept-Language`` header (cached per header value).

    :param header: the raw header value; ``None`` or empty means English.
    """
    if not header:
        return None
    try:
        return _header_cache[header]
    except KeyError:
        pass
    locale: str | None = None
    for tag, quality in parse_accept_header(header, LanguageAccept):
        if quality <= 0:
            continue
        key = tag.strip().lower()
        if key == "en" or key.startswith(("en-", "en_")):
            break
        locale = resolve_locale(tag)
        if locale is not None:
            break
    if len(_header_cache) >= _HEADER_CACHE_SIZE:
        _header_cache.clear()
    _header_cache[header] = locale
    return locale


def translations_for(locale: str | None) -> t.Any:
    """WTForms translations for a catalogue name, or ``None`` for English."""
    if locale is None:
        return None
    try:
        return _translations_cache[locale]
    except KeyError:
        pass
    try:
        translations = i18n.get_translations([locale])
    except OSError:  # a catalogue that vanished: fall back to English
        translations = None
    _translations_cache[locale] = translations
    return translations


def own_message(locale: str | None, message: str) -> str:
    """Translate one of the toolkit's own messages (English when untranslated).

    :param locale: the WTForms catalogue name, or ``None``.
    :param message: the English message.
    """
    if locale is None:
        return message
    table = _OWN_MESSAGES.get(locale) or _OWN_MESSAGES.get(locale.split("_", 1)[0])
    if table is None:
        return message
    return table.get(message, message)
