def test_panda_answers_healthz_and_readyz(panda_client):
    assert panda_client.get("/healthz").json == {
        "status": "ok",
        "instance": panda_client.application.extensions["operations"]["INSTANCE_NAME"],
    }
    assert panda_client.get("/readyz").json["database"] == "ok"


def test_every_response_carries_security_headers(panda_client):
    response = panda_client.get("/sign-in")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
