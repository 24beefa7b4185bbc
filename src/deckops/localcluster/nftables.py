"""Deletes one nf_tables table over netlink: the `nft delete table` that Debian's iptables-nft lacks (no nft here)."""
from __future__ import annotations

import errno
import socket
import struct

NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END = 0x10, 0x11
NFT_MSG_DELTABLE = 2
NFTA_TABLE_NAME = 1
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
NLMSG_ERROR = 2
FAMILIES = {"ip": 2, "ip6": 10}  # NFPROTO_IPV4, NFPROTO_IPV6


def _msg(kind: int, flags: int, seq: int, family: int, res_id: int, attrs: bytes = b"") -> bytes:
    body = struct.pack("=BBH", family, 0, socket.htons(res_id)) + attrs
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body


def _attr(kind: int, data: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(data), kind) + data
    return raw + b"\0" * (-len(raw) % 4)


def delete_table(family: str, table: str) -> bool:
    """True when the table is gone (deleted, or it did not exist); its chains and rules go with it."""
    name = _attr(NFTA_TABLE_NAME, table.encode() + b"\0")
    batch = (_msg(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 1, 0, NFNL_SUBSYS_NFTABLES)
             + _msg(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELTABLE, NLM_F_REQUEST | NLM_F_ACK, 2, FAMILIES[family], 0,
                    name)
             + _msg(NFNL_MSG_BATCH_END, NLM_F_REQUEST, 3, 0, NFNL_SUBSYS_NFTABLES))
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER) as sock:
            sock.settimeout(5)
            sock.bind((0, 0))
            sock.send(batch)
            reply = sock.recv(65536)
    except OSError:
        return False
    if len(reply) < 20 or struct.unpack_from("=H", reply, 4)[0] != NLMSG_ERROR:
        return False
    code = -struct.unpack_from("=i", reply, 16)[0]
    return code in (0, errno.ENOENT)

