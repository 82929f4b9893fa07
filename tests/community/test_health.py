def test_the_community_answers_healthz_and_readyz(community_client):
    assert community_client.get("/healthz").json == {"status": "ok"}
    assert community_client.get("/readyz").json["database"] == "ok"
