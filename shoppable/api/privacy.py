"""Privacy endpoints outside GraphQL: the Global Privacy Control statement, and the download link of
a data export (a link, so that it opens in a browser; it works for its holder alone until it expires)."""

from __future__ import annotations

from litestar import Response, get
from litestar.di import Provide
from litestar.exceptions import NotFoundException

from shoppable.api.dependencies import AppServices, RequestUnitOfWork, provide_services, provide_uow
from shoppable.domain.errors import DomainError
from shoppable.domain.identity import privacy


@get("/.well-known/gpc.json", include_in_schema=False, sync_to_thread=False)
def gpc_statement() -> Response[dict[str, object]]:
    """https://privacycg.github.io/gpc-spec/#gpc-support-resource"""
    return Response(
        {"gpc": True, "lastUpdate": "2026-11-30"},
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@get(
    "/v1/privacy/exports/{export_id:int}/download",
    include_in_schema=False,
    dependencies={"services": Provide(provide_services), "uow": Provide(provide_uow)},
)
async def download_export(
    export_id: int, token: str, services: AppServices, uow: RequestUnitOfWork
) -> Response[bytes]:
    try:
        data = await privacy.export_download(uow, services, export_id, token, services.clock())
    except privacy.ExportNotReady:
        return Response(
            b'{"status": "PENDING"}',
            status_code=202,
            media_type="application/json",
            headers={"Retry-After": "10", "Cache-Control": "no-store"},
        )
    except DomainError as exc:
        raise NotFoundException(exc.errors[0].message) from None
    return Response(
        data,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="shoppable-export-{export_id}.json"',
            "Cache-Control": "no-store",
        },
    )
