"""The deck's state and reports, without a screen or a service: what the console says when a
listing arrives, and what the panes are handed (services/deck.py)."""

from __future__ import annotations

import dataclasses

import pytest

from services.deck import Deck, JobUpdate, Notice


def job(job_id: str, status: str, **more) -> dict:
    return {"id": job_id, "status": status, "model": "gpt-4o-mini", **more}


def listing(*jobs: dict, deployments: tuple[dict, ...] = ()) -> dict:
    return {"jobs": list(jobs), "files": [], "deployments": list(deployments)}


def test_the_first_listing_says_nothing_and_fills_the_panes():
    deck = Deck(now=lambda: 100.0)
    shown = deck.loaded(listing(job("ftjob-1", "running"), job("ftjob-2", "succeeded", fine_tuned_model="ft:a")))
    assert shown.notices == ()
    assert [j["id"] for j in shown.panes["jobs"]] == ["ftjob-1", "ftjob-2"]
    assert set(deck.jobs) == {"ftjob-1", "ftjob-2"} and deck.last_refresh == 100.0


def test_a_job_that_succeeds_is_reported_with_an_offer_to_deploy_it():
    deck = Deck()
    deck.loaded(listing(job("ftjob-1", "running")))
    said = deck.loaded(listing(job("ftjob-1", "succeeded", fine_tuned_model="gpt-4o-mini.ft-abc"))).notices
    assert said == (
        Notice("ftjob-1 succeeded", "ok"),
        Notice("ftjob-1 made gpt-4o-mini.ft-abc: deploy it? select it and press d, or /deploy NAME", "ok"),
    )
    assert deck.loaded(listing(job("ftjob-1", "succeeded"))).notices == ()  # said once


def test_new_and_failed_jobs_are_reported_with_the_service_error():
    deck = Deck()
    deck.loaded(listing(job("ftjob-1", "running")))
    failed = job("ftjob-1", "failed", error={"code": "invalidTrainingFile", "message": "line 3 is not JSON"})
    said = deck.loaded(listing(failed, job("ftjob-2", "pending"))).notices
    assert said == (
        Notice("ftjob-1 failed", "error"),
        Notice("ftjob-1: invalidTrainingFile: line 3 is not JSON", "error"),
        Notice("ftjob-2 created (pending)", "info"),
    )


def test_statuses_are_said_as_sentences():
    deck = Deck()
    deck.loaded(listing(job("ftjob-1", "pending"), job("ftjob-2", "running")))
    said = deck.loaded(listing(job("ftjob-1", "validating_files"), job("ftjob-2", "cancelled"))).notices
    assert [n.text for n in said] == ["ftjob-1 is validating files", "ftjob-2 is cancelled"]


def test_a_job_ftdeck_made_is_listed_at_once_and_not_reported_again_as_new():
    deck = Deck()
    deck.loaded(listing(job("ftjob-1", "succeeded")))
    deck.made("jobs", job("ftjob-2", "pending"))
    assert list(deck.jobs) == ["ftjob-2", "ftjob-1"]  # newest first, before the next listing
    assert deck.loaded(listing(job("ftjob-2", "pending"), job("ftjob-1", "succeeded"))).notices == ()
    said = deck.loaded(listing(job("ftjob-2", "running"), job("ftjob-1", "succeeded"))).notices
    assert said == (Notice("ftjob-2 is running", "info"),)  # what happens to it later still is
    deck.made("files", {"id": "file-1", "status": "processed"})
    assert "file-1" in deck.resources["files"]


def test_a_deployment_nearly_deleted_for_inactivity_is_warned_about_once():
    deck = Deck()
    soon = {"name": "support-bot", "days_left_at_most": 2.5}
    later = {"name": "other", "days_left_at_most": 10}
    said = deck.loaded(listing(deployments=(soon, later))).notices
    assert said == (Notice("deployment support-bot may be deleted for inactivity in 2.5 days or less: chat with it to keep it", "warning"),)
    assert deck.loaded(listing(deployments=(soon, later))).notices == ()
    assert set(deck.resources["deployments"]) == {"support-bot", "other"}  # deployments are known by name


def test_offline_is_said_once_and_back_online_once():
    deck = Deck()
    assert deck.failed(ConnectionError("no answer")) == (Notice("cannot refresh: no answer; retrying every 2s", "error"),)
    assert deck.failed(ConnectionError("still none")) == ()
    assert deck.offline == "still none"
    assert deck.loaded(listing()).notices == (Notice("back online", "ok"),)
    assert deck.offline is None


def test_following_another_job_starts_from_its_beginning():
    deck = Deck()
    assert deck.follow("ftjob-1")
    deck.job_updated(JobUpdate(job("ftjob-1", "running"), ({"id": "ckpt-1"},),
                               ({"type": "metrics", "data": {"step": 1}, "message": "Step 1"},), 5.0))
    assert deck.metrics == [{"step": 1}] and set(deck.resources["checkpoints"]) == {"ckpt-1"}
    assert not deck.follow("ftjob-1")  # the same job: nothing restarts
    assert deck.follow("ftjob-2")
    assert deck.metrics == [] and deck.resources["checkpoints"] == {} and deck.tail is None
    # A poll of the job followed before lands late: dropped.
    assert not deck.job_updated(JobUpdate(job("ftjob-1", "running"), (), (), None))


def test_snapshots_cannot_be_changed_by_whoever_draws_them():
    shown = Deck().loaded(listing(job("ftjob-1", "running")))
    with pytest.raises(TypeError):
        shown.panes["jobs"] = ()  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        shown.notices = ()  # type: ignore[misc]
