"""OpenTelemetry traces, switched on with ``OTEL_TRACING=true``.

Each request becomes a span (Flask's instrumentation), exported over OTLP/HTTP to
``OTEL_EXPORTER_OTLP_ENDPOINT`` with the service and instance as resource attributes. The SDK's
own ``OTEL_*`` variables (sampling, headers, ...) apply. Off by default: nothing is imported then.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)


def install_tracing(app: Flask, *, service: str, instance: str, operations: dict[str, Any]) -> bool:
    """Trace the app's requests when ``OTEL_TRACING`` is on; returns whether it is."""
    if not operations["OTEL_TRACING"]:
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        resource = Resource.create({"service.name": service, "service.instance.id": instance})
        provider = TracerProvider(resource=resource)
        endpoint = str(operations["OTEL_EXPORTER_OTLP_ENDPOINT"]).rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        trace.set_tracer_provider(provider)
    FlaskInstrumentor().instrument_app(app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics")
    log.info("tracing to %s", operations["OTEL_EXPORTER_OTLP_ENDPOINT"])
    return True
