from django.urls import URLPattern, URLResolver, path, re_path, register_converter

from trademan.api.converters import IdConverter
from trademan.api.docs import DocsView, SchemaView
from trademan.api.errors import not_found_view
from trademan.api.views.health import HealthView
from trademan.api.views.instruments import (
    InstrumentByTickerView,
    InstrumentDetailView,
    InstrumentListView,
    InstrumentSyncView,
)
from trademan.api.views.lists import StashView, StopListsView, TradingSettingsView
from trademan.api.views.orders import FillCreateView, OrderDetailView, OrderListView
from trademan.api.views.owner import ChartView, PortfolioSnapshotView, QuotesView, StatsView
from trademan.api.views.records import RecordBatchView
from trademan.api.views.tasks import (
    ActiveTasksView,
    SellBuyDetailView,
    SellBuyListView,
    SpreadDetailView,
    SpreadListView,
)

app_name = "api"
register_converter(IdConverter, "id")

urlpatterns: list[URLPattern | URLResolver] = [
    path("health/", HealthView.as_view(), name="health"),
    path("instruments/", InstrumentListView.as_view(), name="instrument-list"),
    path("instruments/sync/", InstrumentSyncView.as_view(), name="instrument-sync"),
    path(
        "instruments/by-ticker/<str:ticker>/",
        InstrumentByTickerView.as_view(),
        name="instrument-by-ticker",
    ),
    path("instruments/<id:pk>/", InstrumentDetailView.as_view(), name="instrument-detail"),
    path("tasks/active/", ActiveTasksView.as_view(), name="tasks-active"),
    path("sellbuy/", SellBuyListView.as_view(), name="sellbuy-list"),
    path("sellbuy/<id:pk>/", SellBuyDetailView.as_view(), name="sellbuy-detail"),
    path("spreads/", SpreadListView.as_view(), name="spread-list"),
    path("spreads/<id:pk>/", SpreadDetailView.as_view(), name="spread-detail"),
    path("orders/", OrderListView.as_view(), name="order-list"),
    path("orders/<uuid:client_order_id>/", OrderDetailView.as_view(), name="order-detail"),
    path("fills/", FillCreateView.as_view(), name="fill-create"),
    path("records/", RecordBatchView.as_view(), name="record-batch"),
    path("stop-lists/", StopListsView.as_view(), name="stop-lists"),
    path("stash/", StashView.as_view(), name="stash"),
    path("settings/", TradingSettingsView.as_view(), name="settings"),
    path("stats/", StatsView.as_view(), name="stats"),
    path("portfolio/", PortfolioSnapshotView.as_view(), name="portfolio"),
    path("quotes/", QuotesView.as_view(), name="quotes"),
    path("charts/<str:task_kind>/<id:pk>/", ChartView.as_view(), name="chart"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^.*$", not_found_view),
]
