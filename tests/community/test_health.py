def test_the_community_answers_healthz_and_readyz(community_client):
    assert community_client.get("/healthz").json == {
        "status": "ok",
        "instance": community_client.application.extensions["operations"]["INSTANCE_NAME"],
    }
    assert community_client.get("/readyz").json["database"] == "ok"
