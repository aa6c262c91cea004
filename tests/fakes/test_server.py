"""The fake-upstream harness itself: a real socket, recorded requests, delays."""
from __future__ import annotations

import pytest
import requests

from tests.fakes.server import FakeResponse, FakeUpstream


class Echo(FakeUpstream):
    def answer(self, request):
        if self.scenario == "slow":
            return FakeResponse(body={"slow": True}, delay=0.5)
        return FakeResponse(status=200, body={"path": request.path, "query": request.query,
                                              "auth": request.headers.get("authorization")})


def test_answers_over_a_real_socket_and_records_requests():
    with Echo() as fake:
        response = requests.get(f"{fake.base_url}/v2/x.json", params={"query": "서울 종로구"},
                                headers={"Authorization": "KakaoAK k"}, timeout=5)
        assert response.json() == {"path": "/v2/x.json", "query": {"query": "서울 종로구"}, "auth": "KakaoAK k"}
        assert [r.path for r in fake.calls()] == ["/v2/x.json"]


def test_slow_scenario_makes_clients_time_out():
    with Echo() as fake:
        fake.scenario = "slow"
        with pytest.raises(requests.Timeout):
            requests.get(f"{fake.base_url}/", timeout=0.1)
        assert len(fake.calls()) == 1
