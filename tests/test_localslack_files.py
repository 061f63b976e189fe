"""The fake Slack's file upload (files.getUploadURLExternal, the byte POST, files.completeUploadExternal, files.list)
driven by slack_sdk's own files_upload_v2, as the transport uses it."""
from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from localslack.webapi import LocalSlack


@pytest.fixture
def slack():
    with LocalSlack() as fake:
        yield fake


def test_files_upload_v2_stores_the_bytes_and_shares_the_file(slack):
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    response = client.files_upload_v2(channel="C0HLITTRIAGE", filename="chart-7.png", content=b"\x89PNG bytes",
                                      title="The chart", alt_txt="a chart")
    assert response["file"]["title"] == "The chart"
    [stored] = slack.files("C0HLITTRIAGE")
    assert (stored["content"], stored["name"], stored["mimetype"], stored["alt_txt"]) == (
        b"\x89PNG bytes", "chart-7.png", "image/png", "a chart")
    listed = client.files_list(channel="C0HLITTRIAGE", types="images")["files"]
    assert [(f["name"], f["size"]) for f in listed] == [("chart-7.png", 10)] and "content" not in listed[0]
    assert client.files_list(channel="C0OTHER")["files"] == [] and slack.files("C0OTHER") == []
    assert [c.method for c in slack.calls()] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal",
                                                 "files.list", "files.list"]


def test_a_file_whose_bytes_never_arrived_cannot_be_completed(slack):
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    file_id = client.files_getUploadURLExternal(filename="x.png", length=3)["file_id"]
    with pytest.raises(SlackApiError, match="file_not_found"):
        client.files_completeUploadExternal(files=[{"id": file_id, "title": "x"}], channel_id="C1")
    assert slack.files() == []
    with pytest.raises(SlackApiError, match="not_authed"):
        WebClient(base_url=slack.base_url).files_getUploadURLExternal(filename="x.png", length=3)
