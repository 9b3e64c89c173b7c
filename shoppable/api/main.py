"""ASGI entry point for uvicorn: `shoppable.api.main:app`."""

from shoppable.api.app import create_app

app = create_app()
