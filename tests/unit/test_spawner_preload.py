"""What the spawner builds before it forks, so that every slot shares it instead of building
its own copy (the figures: `make bench-memory`)."""

from __future__ import annotations

import gc

import fakeredis.aioredis
from aiogram import methods
from aiogram.methods.base import Response

from bots import factory
from bots.context import TenantContext
from pool import spawner


def test_the_api_response_models_outlive_a_garbage_collection():
    # pydantic caches generic models by weak reference: unless the spawner holds them, the
    # collection before gc.freeze() frees them and every slot builds `Response[list[Update]]`
    # (about 8 MB) again at its first getUpdates
    spawner._build_response_models()
    gc.collect()
    for method in (methods.GetUpdates, methods.SendMessage, methods.EditMessageText):
        assert any(Response[method.__returning__] is kept for kept in spawner._kept), method


def test_the_prepared_screens_serve_the_next_tenant_once_then_each_gets_its_own():
    redis = fakeredis.aioredis.FakeRedis()
    factory.prepare_screens()
    prepared = factory._prepared[0]
    first = factory.build_dispatcher(TenantContext("client_001", "Первый", 1), redis=redis, db=None)
    # a router joins one parent only: the next tenant in this process gets new screens
    second = factory.build_dispatcher(
        TenantContext("client_002", "Второй", 2), redis=redis, db=None
    )
    assert prepared in first.sub_routers
    assert prepared not in second.sub_routers
    assert prepared.parent_router is first
