"""The Litestar application factory."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Response, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, SwaggerRenderPlugin
from litestar.status_codes import HTTP_404_NOT_FOUND

from shoppable.api.catalog import CatalogController
from shoppable.api.graphql import graphql_controller
from shoppable.api.health import health
from shoppable.api.media import receive_media_upload, serve_media
from shoppable.api.orders import OrdersController
from shoppable.api.privacy import download_export, gpc_statement
from shoppable.api.problems import EXCEPTION_HANDLERS, JsonBodyRequest, problem_response
from shoppable.api.request_ids import configure_logging, request_id_middleware
from shoppable.api.security_headers import security_headers_middleware
from shoppable.api.webhooks import WebhooksController
from shoppable.jobs.catalog_import import resume_interrupted_imports
from shoppable.jobs.queue import InProcessQueue
from shoppable.jobs.registry import PERIODIC
from shoppable.jobs.webhooks import WebhookDispatcher
from shoppable.services import build_services
from shoppable.settings import Settings, get_settings


def _unknown_paths_are_problems(response: Response[Any]) -> Response[Any]:
    """The OpenAPI router owns every /v1 path no other handler takes: its 404 becomes a problem."""
    if response.status_code == HTTP_404_NOT_FOUND:
        return problem_response(HTTP_404_NOT_FOUND, "Not Found", "No such route.")
    return response


def openapi_config(settings: Settings) -> OpenAPIConfig:
    """The REST contract at /v1/openapi.json, generated from the handlers; a docs page at /v1/docs in DEBUG."""
    plugins: list[OpenAPIRenderPlugin] = [JsonRenderPlugin(path="/openapi.json")]
    if settings.debug:
        plugins.append(SwaggerRenderPlugin(path="/docs"))
    return OpenAPIConfig(
        title="Shoppable merchant API",
        version="1",
        description="Catalog imports, fast stock and price updates, orders (polling, fulfilment, "
        "cancellation, refunds) and webhooks for merchants' systems.",
        path="/v1",
        # Litestar answers unknown paths under its OpenAPI path with an HTML page; ours are problems.
        openapi_router=Router(
            "/v1", route_handlers=[], include_in_schema=False, after_request=_unknown_paths_are_problems
        ),
        render_plugins=plugins,
        use_handler_docstrings=True,
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    settings.check_production_safety()
    configure_logging(settings.log_level)
    services = build_services(settings)

    async def startup() -> None:
        # Imports a restart interrupted are taken up again; with SAQ, workers do this themselves.
        if isinstance(services.jobs, InProcessQueue):
            await resume_interrupted_imports(services)
            for name, (_cron, seconds) in PERIODIC.items():
                services.jobs.every(seconds, name)
            if settings.webhooks_in_process:
                services.jobs.background("webhooks", WebhookDispatcher(services, own_connections=True).run)

    return Litestar(
        route_handlers=[
            health,
            graphql_controller(services),
            CatalogController,
            OrdersController,
            WebhooksController,
            receive_media_upload,
            serve_media,
            gpc_statement,
            download_export,
        ],
        state=State({"services": services}),
        middleware=[request_id_middleware, security_headers_middleware],
        request_class=JsonBodyRequest,
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]  # handlers take subclasses of Exception
        cors_config=CORSConfig(allow_origins=settings.cors_origins) if settings.cors_origins else None,
        on_startup=[startup],
        on_shutdown=[services.close],
        debug=False,
        openapi_config=openapi_config(settings),
    )
