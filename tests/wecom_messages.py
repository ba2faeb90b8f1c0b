"""Building WeCom callbacks as WeCom sends them: inner XML, encrypted and signed."""

from __future__ import annotations

from xml.sax.saxutils import escape

from adapters.wecom.signing import WeComCrypto

CORP_ID = "ww1436e0e65a779aee"
TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
AGENT_ID = "1000002"


def inner_xml(fields: dict[str, str]) -> str:
    """``<xml><Tag>text</Tag>...</xml>``."""
    body = "".join(f"<{tag}>{escape(value)}</{tag}>" for tag, value in fields.items())
    return f"<xml>{body}</xml>"


def text_message(user: str, text: str, msg_id: str, created: int) -> str:
    """A text message from a member to the app."""
    return inner_xml(
        {
            "ToUserName": CORP_ID,
            "FromUserName": user,
            "CreateTime": str(created),
            "MsgType": "text",
            "Content": text,
            "MsgId": msg_id,
            "AgentID": AGENT_ID,
        }
    )


def image_message(user: str, media_id: str, msg_id: str, created: int) -> str:
    """A picture a member sends the app."""
    return inner_xml(
        {
            "ToUserName": CORP_ID,
            "FromUserName": user,
            "CreateTime": str(created),
            "MsgType": "image",
            "PicUrl": "https://wework.qpic.cn/x",
            "MediaId": media_id,
            "MsgId": msg_id,
            "AgentID": AGENT_ID,
        }
    )


def card_event(user: str, key: str, task_id: str, code: str, created: int) -> str:
    """A ``template_card_event``: a tap on a button of a card."""
    return inner_xml(
        {
            "ToUserName": CORP_ID,
            "FromUserName": user,
            "CreateTime": str(created),
            "MsgType": "event",
            "Event": "template_card_event",
            "EventKey": key,
            "TaskId": task_id,
            "CardType": "button_interaction",
            "ResponseCode": code,
            "AgentID": AGENT_ID,
        }
    )


def contact_event(change: str, staff: str, external: str, created: int, state: str = "") -> str:
    """A ``change_external_contact`` event."""
    return inner_xml(
        {
            "ToUserName": CORP_ID,
            "FromUserName": "sys",
            "CreateTime": str(created),
            "MsgType": "event",
            "Event": "change_external_contact",
            "ChangeType": change,
            "UserID": staff,
            "ExternalUserID": external,
            "State": state,
            "WelcomeCode": "WELCOME",
        }
    )


def sealed(
    crypto: WeComCrypto, plain: str, timestamp: int, nonce: str = "n1"
) -> tuple[dict[str, str], str]:
    """Query parameters and body of a POST to the callback URL carrying ``plain``."""
    encrypted = crypto.encrypt(plain)
    query = {
        "msg_signature": crypto.sign(str(timestamp), nonce, encrypted),
        "timestamp": str(timestamp),
        "nonce": nonce,
    }
    body = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
    )
    return query, body
