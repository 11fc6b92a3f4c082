"""The client's address behind the proxy: X-Forwarded-For read only from a trusted proxy, the
rightmost address that is not one of ours taken, anything a client forged ignored."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiemdich.core.proxies import UNKNOWN, client_address

pytestmark = pytest.mark.django_db

OURS = (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("fd00::/64"))

clients = st.one_of(
    st.ip_addresses(v=4).filter(lambda a: not any(a in n for n in OURS)),
    st.ip_addresses(v=6).filter(lambda a: not any(a in n for n in OURS)
                                and a.ipv4_mapped is None))
proxies = st.lists(st.sampled_from(["10.0.0.10", "10.0.0.11", "127.0.0.1", "fd00::7"]),
                   min_size=1, max_size=3)
forged = st.lists(st.one_of(st.text(alphabet=st.characters(blacklist_characters=","),
                                    max_size=30),
                            st.ip_addresses().map(str)), max_size=4)


@given(client=clients, chain=proxies, forged=forged)
def test_the_client_is_found_whatever_it_forged(client, chain, forged):
    # The client sent `forged`; the first proxy appended the client, each next proxy the one
    # before it; the server's peer is the last proxy.
    header = [*forged, str(client), *chain[:-1]]
    assert client_address(chain[-1], ", ".join(header), OURS) == str(client)


@given(peer=clients, header=st.text(max_size=80))
def test_the_header_of_a_peer_that_is_not_ours_is_never_read(peer, header):
    assert client_address(str(peer), header, OURS) == str(peer)


@pytest.mark.parametrize(("peer", "header", "client"), [
    ("10.0.0.10", None, "10.0.0.10"),  # a request of the proxy itself
    ("10.0.0.10", "", "10.0.0.10"),
    ("10.0.0.10", "10.0.0.11, 127.0.0.1", "10.0.0.11"),  # only our proxies: the farthest
    ("10.0.0.10", "203.0.113.7:51234", "203.0.113.7"),
    ("10.0.0.10", "[2001:db8::1]:443", "2001:db8::1"),
    ("10.0.0.10", "::ffff:203.0.113.9", "203.0.113.9"),
    ("10.0.0.10", "203.0.113.7, garbage", "10.0.0.10"),  # not a proxy's writing
    ("", "203.0.113.7", UNKNOWN),
])
def test_edge_cases(peer, header, client):
    assert client_address(peer, header, OURS) == client


def test_without_trusted_proxies_the_peer_is_the_client(anon, settings):
    settings.OTP_SEND_PER_IP_PER_HOUR = 1
    settings.TRUSTED_PROXIES = []
    forged = [anon.post("/api/v1/auth/otp", {"phone": f"09120000{n:02d}"},
                        REMOTE_ADDR="198.51.100.5",
                        HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(2)]
    assert forged == [202, 429]


def test_behind_a_trusted_proxy_clients_get_their_own_buckets(anon, settings):
    settings.OTP_SEND_PER_IP_PER_HOUR = 1
    settings.TRUSTED_PROXIES = ["10.0.0.10"]

    def ask(n: int, header: str):
        return anon.post("/api/v1/auth/otp", {"phone": f"09120000{n:02d}"},
                         REMOTE_ADDR="10.0.0.10", HTTP_X_FORWARDED_FOR=header).status_code

    assert [ask(0, "203.0.113.1"), ask(1, "203.0.113.2")] == [202, 202]
    # A client forging the header is still itself: the proxy appended its real address.
    assert ask(2, "198.51.100.77, 203.0.113.1") == 429
