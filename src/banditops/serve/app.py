"""The HTTP face of the router (FastAPI): predict, feedback, arms, metrics, health.

Status codes: 200 success (201 for a registered arm); 401 missing or wrong bearer token;
403 admin endpoint while no token is configured; 404 unknown decision or arm; 409 a
repeated or censored decision, or a conflicting arm change; 413 a body or batch over
the limits; 422 invalid input (schema, types, NaN, rewards out of range); 503 nothing
can serve; 500 an internal error, answered with an error id only (the traceback goes
to the server log, never to the client).

Examples
--------
>>> import tempfile, pathlib, numpy as np, pandas as pd
>>> from types import SimpleNamespace
>>> from fastapi.testclient import TestClient
>>> from sklearn.linear_model import LogisticRegression
>>> from banditops.policies.base import BasePolicy
>>> from banditops.serve.artifacts import export_model
>>> from banditops.serve.config import parse_config
>>> class First(BasePolicy):
...     name = "first-example"
...     def _probabilities(self, arms):
...         return np.eye(len(arms))[0]
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> X = pd.DataFrame({"x": np.linspace(-1, 1, 40)})
>>> version = SimpleNamespace(id="lr@1", family="logreg", created_at=1, validation_score=0.9,
...     threshold=0.5, feature_columns=["x"],
...     pipeline=LogisticRegression().fit(X, (X["x"] > 0).astype(int)))
>>> _ = export_model(version, folder / "lr.skops", feature_dtypes={"x": "float64"})
>>> config = parse_config({"models": ["lr.skops"], "policy": {"name": "first-example"}}, folder)
>>> with TestClient(create_app(config, policy_factory=lambda c: First())) as client:
...     reply = client.post("/predict", json={"row": {"x": 0.8}}).json()["predictions"][0]
...     (reply["arm"], reply["prediction"], reply["propensity"])
('lr@1', 1, 1.0)
"""

from __future__ import annotations

import importlib
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import (
    AllowInfNan,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    model_validator,
)

from banditops import __version__
from banditops.errors import (
    BanditOpsError,
    ConfigError,
    DataError,
    FeedbackError,
    UnknownArmError,
)
from banditops.serve.config import DeploymentConfig, load_config
from banditops.serve.exceptions import (
    ConflictError,
    NoActiveArmError,
    PayloadTooLargeError,
    UnknownDecisionError,
)
from banditops.serve.router import PolicyFactory, Router
from banditops.serve.security import BodySizeLimit, check_bearer

__all__ = ["create_app", "create_app_from_env"]

log = logging.getLogger("banditops.serve")

CONFIG_ENV = "BANDITOPS_SERVE_CONFIG"
FACTORY_ENV = "BANDITOPS_SERVE_POLICY_FACTORY"

FiniteStrictFloat = Annotated[float, Field(strict=True), AllowInfNan(False)]
FeatureValue = StrictInt | FiniteStrictFloat | StrictStr | None
Row = dict[str, FeatureValue]


# -- request and response models --------------------------------------------------------
class PredictRequest(BaseModel):
    """One row (``row``) or a batch (``rows``) of feature values by column name.

    Numbers for numeric columns, strings for categorical ones, ``null`` for missing.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"rows": [{"age": 39, "workclass": "State-gov"}]}]},
    )
    row: Row | None = None
    rows: list[Row] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> PredictRequest:
        if (self.row is None) == (self.rows is None):
            raise ValueError("give exactly one of 'row' or 'rows'")
        return self

    def all_rows(self) -> list[Row]:
        """The rows, a single row as a batch of one."""
        return [self.row] if self.row is not None else list(self.rows or [])


class Prediction(BaseModel):
    """The decision for one row."""

    prediction: int = Field(description="Predicted label (the served version's threshold)")
    score: float = Field(description="The served version's positive-class score")
    arm: str = Field(description="Id of the model version that served the row")
    decision_id: str = Field(description="Id to send feedback for this decision")
    propensity: float = Field(description="Probability the policy gave this arm for the row")


class PredictResponse(BaseModel):
    """Decisions, aligned with the request's rows."""

    predictions: list[Prediction]


class FeedbackItem(BaseModel):
    """Feedback for one decision: its true label (0/1) or a reward in [0, 1]."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"decision_id": "3f1c...", "label": 1}]},
    )
    decision_id: Annotated[str, Field(min_length=1, max_length=64)]
    label: Annotated[StrictInt, Field(ge=0, le=1)] | None = None
    reward: Annotated[float, Field(ge=0.0, le=1.0, strict=True), AllowInfNan(False)] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> FeedbackItem:
        if (self.label is None) == (self.reward is None):
            raise ValueError("give exactly one of 'label' or 'reward'")
        return self

    def as_dict(self) -> dict[str, Any]:
        """Plain dict holding only the given fields."""
        return self.model_dump(exclude_none=True)


class FeedbackBatch(BaseModel):
    """Several feedback items; applied all together or not at all."""

    model_config = ConfigDict(extra="forbid")
    feedback: list[FeedbackItem]


class FeedbackResult(BaseModel):
    """One accepted feedback item."""

    decision_id: str
    arm: str
    reward: float
    status: str


class FeedbackResponse(BaseModel):
    """Number of items accepted and each item's result."""

    accepted: int
    results: list[FeedbackResult]


class ArmView(BaseModel):
    """One model version: metadata, status, traffic and reward statistics."""

    id: str
    family: str
    created_at: int
    validation_score: float | None
    threshold: float
    status: str = Field(description="active, quarantined or retired")
    status_reason: str | None
    traffic: int = Field(description="Decisions served")
    feedback: int = Field(description="Decisions with feedback")
    pending: int = Field(description="Decisions awaiting feedback")
    censored: int = Field(description="Decisions whose feedback timed out")
    reward_sum: float
    reward_mean: float | None
    share: float = Field(description="The policy's current traffic share")


class ArmEvent(BaseModel):
    """A ledger event about an arm (registration, status change with reason and source)."""

    model_config = ConfigDict(extra="allow")
    seq: int
    time: float
    kind: str
    arm: str | None


class ArmsResponse(BaseModel):
    """Every arm and the latest arm events."""

    policy: str
    seq: int
    arms: list[ArmView]
    events: list[ArmEvent]


class RegisterArm(BaseModel):
    """A model file (with its JSON sidecar) in a trusted directory."""

    model_config = ConfigDict(extra="forbid")
    path: Annotated[str, Field(min_length=1, max_length=4096)]


class StateResponse(BaseModel):
    """The live policy state (compare with a rebuild from the ledger)."""

    seq: int
    state: dict[str, Any]


class Health(BaseModel):
    """Liveness and readiness."""

    status: str
    ledger_seq: int
    active_arms: int
    store: str
    version: str


class ErrorBody(BaseModel):
    """Error reply: a message, never a traceback."""

    detail: Any
    error_id: str | None = None


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        401: "Missing or wrong bearer token",
        404: "Unknown decision or arm",
        409: "Repeated or censored decision, or a conflicting arm change",
        413: "Body or batch over the limits",
        422: "Invalid input",
    }.items()
}


# -- metrics ----------------------------------------------------------------------------
class _LedgerCollector:
    """Prometheus collector reading exact, cross-worker counters from the ledger."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def collect(self) -> Iterable[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        data = self.router.counters()
        decisions = CounterMetricFamily(
            "banditops_decisions", "Decisions served per arm", labels=["arm"]
        )
        feedback = CounterMetricFamily(
            "banditops_feedback", "Feedback received per arm", labels=["arm"]
        )
        reward = CounterMetricFamily(
            "banditops_reward_sum", "Sum of rewards per arm", labels=["arm"]
        )
        censored = CounterMetricFamily(
            "banditops_censored", "Decisions censored (feedback timed out)", labels=["arm"]
        )
        status = GaugeMetricFamily(
            "banditops_arm_status", "1 for the arm's current status", labels=["arm", "status"]
        )
        for row in data["arms"]:
            decisions.add_metric([row.arm_id], float(row.traffic))
            feedback.add_metric([row.arm_id], float(row.feedback_count))
            reward.add_metric([row.arm_id], float(row.reward_sum))
            censored.add_metric([row.arm_id], float(row.censored))
            for name in ("active", "quarantined", "retired"):
                status.add_metric([row.arm_id, name], 1.0 if row.status == name else 0.0)
        seq = GaugeMetricFamily("banditops_ledger_seq", "Number of the last ledger event")
        seq.add_metric([], float(data["head"]))
        yield from (decisions, feedback, reward, censored, status, seq)


class _Timing:
    """ASGI middleware: request latency per route (this worker only)."""

    def __init__(self, app: Any, histogram: Any, routes: set[str]) -> None:
        self.app = app
        self.histogram = histogram
        self.routes = routes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = scope.get("path", "")
            route = path if path in self.routes else "other"
            self.histogram.labels(route, str(status["code"])).observe(time.perf_counter() - start)


# -- the app ----------------------------------------------------------------------------
def _error(status: int, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def create_app(config: DeploymentConfig, *, policy_factory: PolicyFactory | None = None) -> FastAPI:
    """Build the router service for a deployment.

    Parameters
    ----------
    config : DeploymentConfig
        From :func:`banditops.serve.config.load_config`.
    policy_factory : callable, optional
        ``config -> policy`` (tests); default: the registry plus the guardrail.

    Returns
    -------
    fastapi.FastAPI
        Loads the models and rebuilds the policy state from the ledger immediately, so
        a bad configuration fails here, not at the first request.
    """
    from prometheus_client import CollectorRegistry, Histogram, generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    router = Router(config, policy_factory=policy_factory)
    token = config.security.token

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        router.close()

    app = FastAPI(
        title="banditops router",
        version=__version__,
        description=(
            "Bandit-routed predictions over model versions, with delayed feedback, a "
            "durable decision ledger and automatic rollback."
        ),
        lifespan=lifespan,
    )
    app.state.router = router

    class AuthError(Exception):
        def __init__(self, status: int, detail: str) -> None:
            self.status, self.detail = status, detail

    def admin(request: Request) -> None:
        if token is None:
            raise AuthError(403, "admin endpoints are disabled: no token is configured")
        if not check_bearer(request.headers.get("authorization"), token):
            raise AuthError(401, "missing or wrong bearer token")

    def client(request: Request) -> None:
        if config.security.protect_predict and token is not None:
            if not check_bearer(request.headers.get("authorization"), token):
                raise AuthError(401, "missing or wrong bearer token")

    @app.exception_handler(AuthError)
    async def _auth(_r: Request, exc: AuthError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _error(exc.status, exc.detail, headers)

    status_of: list[tuple[type[BaseException], int]] = [
        (UnknownDecisionError, 404),
        (UnknownArmError, 404),
        (ConflictError, 409),
        (PayloadTooLargeError, 413),
        (FeedbackError, 422),
        (DataError, 422),
        (NoActiveArmError, 503),
        (ConfigError, 400),
    ]

    @app.exception_handler(BanditOpsError)
    async def _domain(_r: Request, exc: BanditOpsError) -> JSONResponse:
        for cls, status in status_of:
            if isinstance(exc, cls):
                return _error(status, str(exc))
        return await _internal(_r, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return _error(422, errors)

    @app.exception_handler(Exception)
    async def _internal(_r: Request, exc: Exception) -> JSONResponse:
        error_id = uuid.uuid4().hex
        log.error("internal error %s", error_id, exc_info=exc)
        return JSONResponse(
            {"detail": "internal server error", "error_id": error_id}, status_code=500
        )

    @app.post(
        "/predict",
        response_model=PredictResponse,
        responses=_ERRORS,
        dependencies=[Depends(client)],
        summary="Route rows to model versions and predict",
    )
    def predict(body: PredictRequest) -> dict[str, Any]:
        return {"predictions": router.predict(body.all_rows())}

    @app.post(
        "/feedback",
        response_model=FeedbackResponse,
        responses=_ERRORS,
        dependencies=[Depends(client)],
        summary="Label or reward for decisions (idempotent: a repeat is 409)",
    )
    def feedback(body: FeedbackItem | FeedbackBatch) -> dict[str, Any]:
        items = body.feedback if isinstance(body, FeedbackBatch) else [body]
        results = router.feedback([item.as_dict() for item in items])
        return {"accepted": len(results), "results": results}

    @app.get(
        "/arms",
        response_model=ArmsResponse,
        responses=_ERRORS,
        dependencies=[Depends(client)],
        summary="Versions with traffic, rewards, status and events",
    )
    def arms() -> dict[str, Any]:
        return router.arms()

    @app.post(
        "/arms",
        response_model=ArmView,
        status_code=201,
        responses=_ERRORS,
        dependencies=[Depends(admin)],
        summary="Register a new version from a trusted model file",
    )
    def register(body: RegisterArm) -> dict[str, Any]:
        return router.register(body.path)

    @app.post(
        "/arms/{arm_id}/retire",
        response_model=ArmView,
        responses=_ERRORS,
        dependencies=[Depends(admin)],
        summary="Retire a version for good",
    )
    def retire(arm_id: str) -> dict[str, Any]:
        return router.retire(arm_id)

    @app.post(
        "/arms/{arm_id}/rollback",
        response_model=ArmView,
        responses=_ERRORS,
        dependencies=[Depends(admin)],
        summary="Roll back to this version (newer active versions are quarantined)",
    )
    def rollback(arm_id: str) -> dict[str, Any]:
        return router.rollback(arm_id)

    @app.get(
        "/state",
        response_model=StateResponse,
        responses=_ERRORS,
        dependencies=[Depends(admin)],
        summary="The live policy state (equals the state rebuilt from the ledger)",
    )
    def state() -> dict[str, Any]:
        current = router.state()
        return {"seq": current["seq"], "state": current}

    registry = CollectorRegistry()
    registry.register(_LedgerCollector(router))
    histogram = Histogram(
        "banditops_request_seconds",
        "Request latency in this worker",
        ["route", "status"],
        registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    )

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", response_model=Health, summary="Liveness and readiness")
    def health() -> dict[str, Any]:
        return router.health() | {"version": __version__}

    routes = {"/predict", "/feedback", "/arms", "/metrics", "/health", "/state"}
    app.add_middleware(_Timing, histogram=histogram, routes=routes)
    app.add_middleware(BodySizeLimit, max_bytes=config.limits.max_body_bytes)
    return app


def _factory_from_env() -> PolicyFactory | None:
    spec = os.environ.get(FACTORY_ENV)
    if not spec:
        return None
    module, _, name = spec.partition(":")
    factory = getattr(importlib.import_module(module), name)
    return factory  # type: ignore[no-any-return]


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: the config path comes from
    ``BANDITOPS_SERVE_CONFIG`` (set by :func:`banditops.serve.run`)."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise ConfigError(f"set {CONFIG_ENV} to the deployment config path")
    return create_app(load_config(path), policy_factory=_factory_from_env())
