"""The broker's unary methods: request JSON in, response JSON out (or an ``ApiError``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from simulator import serialize as ser
from simulator.accounts import Account
from simulator.codec import money, quotation, timestamp
from simulator.dividends import dividends_json
from simulator.errors import ApiError
from simulator.exchange import Exchange, NewOrder
from simulator.fields import Fields
from simulator.instruments import Instrument
from simulator.orders import (
    BESTPRICE,
    BUY,
    EXCHANGE_LIMIT,
    EXCHANGE_MARKET,
    GTC,
    GTD,
    LIMIT,
    MARKET,
    SELL,
    STOP_ACTIVE,
    STOP_BUY,
    STOP_CANCELED,
    STOP_EXECUTED,
    STOP_EXPIRED,
    STOP_LIMIT,
    STOP_LOSS,
    STOP_SELL,
    STOP_TAKE_PROFIT,
    TIF_DAY,
    TIF_FAK,
    TIF_FOK,
    StopOrder,
)
from simulator.ratelimit import unary_limits
from simulator.sessions import Market, moscow_time

Handler = Callable[["BrokerApi", Fields, str], dict[str, Any]]
METHODS: dict[tuple[str, str], Handler] = {}
ALLOWED_DEPTHS = (1, 10, 20, 30, 40, 50)


def method(service: str, name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[(service, name)] = fn
        return fn

    return register


class BrokerApi:
    def __init__(self, exchange: Exchange) -> None:
        self.ex = exchange

    def call(self, service: str, name: str, body: Any, tracking_id: str) -> dict[str, Any]:
        handler = METHODS.get((service, name))
        if handler is None:
            raise ApiError(12001)
        self.ex.tick()
        return handler(self, Fields(body), tracking_id)

    # ---- helpers ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.ex.clock.now()

    def status(self, inst: Instrument) -> str:
        return self.ex.trading_status(inst)

    def account(self, f: Fields) -> Account:
        return self.ex.account(f.string("accountId", missing=30021, invalid=30022))

    def by_request(self, f: Fields) -> Instrument:
        id_type = f.enum(
            "idType",
            (
                "INSTRUMENT_ID_TYPE_FIGI",
                "INSTRUMENT_ID_TYPE_TICKER",
                "INSTRUMENT_ID_TYPE_UID",
                "INSTRUMENT_ID_TYPE_POSITION_UID",
            ),
            missing=30006,
            invalid=30005,
        )
        ident = f.string("id", missing=30007)
        if id_type == "INSTRUMENT_ID_TYPE_TICKER":
            class_code = f.string("classCode", missing=30013)
            inst = self.ex.catalogue.by_ticker(ident, class_code)
        else:
            inst = self.ex.catalogue.find(ident)
            if inst is not None:
                key = {
                    "INSTRUMENT_ID_TYPE_FIGI": inst.figi,
                    "INSTRUMENT_ID_TYPE_UID": inst.uid,
                    "INSTRUMENT_ID_TYPE_POSITION_UID": inst.position_uid,
                }[id_type]
                if key.upper() != ident.strip().upper():
                    inst = None
        if inst is None:
            raise ApiError(50002)
        return inst

    def positions_value(self, account: Account) -> dict[str, Decimal]:
        shares = futures = Decimal(0)
        for pos in account.positions.values():
            price = self.ex.market.quote(pos.instrument).last_price
            if pos.instrument.is_future:
                per_point = (
                    pos.instrument.min_price_increment_amount / pos.instrument.min_price_increment
                )
                futures += (price - pos.average_price) * per_point * pos.balance
            else:
                shares += price * pos.balance
        return {"shares": shares, "futures": futures}


def _order_request(f: Fields) -> NewOrder:
    order_id = f.string("orderId", missing=30027)
    if len(order_id) > 36:
        raise ApiError(30055)
    try:
        uuid.UUID(order_id)
    except ValueError as exc:
        raise ApiError(30028) from exc
    lots = f.int64("quantity", missing=30015, invalid=30016)
    assert lots is not None
    if lots < 0:
        raise ApiError(30080)
    if lots == 0:
        raise ApiError(30015)
    direction = f.enum("direction", (BUY, SELL), missing=30019, invalid=30020)
    order_type = f.enum("orderType", (LIMIT, MARKET, BESTPRICE), missing=30025, invalid=30026)
    tif = f.enum("timeInForce", (TIF_DAY, TIF_FAK, TIF_FOK), default=TIF_DAY)
    price = f.quotation("price", 30018)
    if order_type == LIMIT and price is None:
        raise ApiError(30017)
    if order_type == BESTPRICE:
        order_type = MARKET
    return NewOrder(
        account_id=f.string("accountId", missing=30021, invalid=30022),
        instrument_id=f.instrument_id(),
        request_id=order_id,
        direction=direction,
        order_type=order_type,
        lots=lots,
        price=price,
        time_in_force=tif,
    )


# ---- UsersService ---------------------------------------------------------------------------


@method("UsersService", "GetAccounts")
def get_accounts(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    return {"accounts": [ser.account(a) for a in api.ex.accounts.values()]}


@method("UsersService", "GetMarginAttributes")
def get_margin_attributes(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    values = api.positions_value(account)
    liquid = account.money + values["shares"] + values["futures"]
    starting = account.futures_margin() + account.short_collateral()
    minimal = starting / 2
    level = liquid / starting if starting > 0 else Decimal(2)
    return {
        "liquidPortfolio": money(liquid),
        "startingMargin": money(starting),
        "minimalMargin": money(minimal),
        "fundsSufficiencyLevel": quotation(level.quantize(Decimal("0.0001"))),
        "amountOfMissingFunds": money(min(liquid - starting, Decimal(0)) * -1),
        "correctedMargin": money(Decimal(0)),
    }


@method("UsersService", "GetUserTariff")
def get_user_tariff(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    return {
        "unaryLimits": [
            {"limitPerMinute": limit, "methods": methods} for limit, methods in unary_limits()
        ],
        "streamLimits": [
            {
                "limit": 16,
                "streams": [
                    "tinkoff.public.invest.api.contract.v1.MarketDataStreamService/MarketDataStream"
                ],
                "open": 0,
            },
            {
                "limit": 10,
                "streams": [
                    "tinkoff.public.invest.api.contract.v1.OrdersStreamService/OrderStateStream"
                ],
                "open": 0,
            },
        ],
    }


# ---- InstrumentsService ---------------------------------------------------------------------


@method("InstrumentsService", "Shares")
def shares(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    return {"instruments": [ser.share(s, api.status(s)) for s in api.ex.catalogue.shares]}


@method("InstrumentsService", "Futures")
def futures(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    cat = api.ex.catalogue
    return {"instruments": [ser.future(x, api.status(x), cat.underlying(x)) for x in cat.futures]}


@method("InstrumentsService", "ShareBy")
def share_by(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    inst = api.by_request(f)
    if inst.is_future:
        raise ApiError(50002)
    return {"instrument": ser.share(inst, api.status(inst))}


@method("InstrumentsService", "FutureBy")
def future_by(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    inst = api.by_request(f)
    if not inst.is_future:
        raise ApiError(50002)
    return {"instrument": ser.future(inst, api.status(inst), api.ex.catalogue.underlying(inst))}


@method("InstrumentsService", "GetInstrumentBy")
def get_instrument_by(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    inst = api.by_request(f)
    return {"instrument": ser.instrument(inst, api.status(inst))}


@method("InstrumentsService", "GetFuturesMargin")
def get_futures_margin(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    inst = api.ex.instrument(f.instrument_id())
    if not inst.is_future:
        raise ApiError(30041)
    return {
        "initialMarginOnBuy": money(inst.initial_margin),
        "initialMarginOnSell": money(inst.initial_margin),
        "minPriceIncrement": quotation(inst.min_price_increment),
        "minPriceIncrementAmount": quotation(inst.min_price_increment_amount),
    }


@method("InstrumentsService", "GetDividends")
def get_dividends(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    inst = api.ex.instrument(f.instrument_id())
    start, end = f.timestamp("from", 30009), f.timestamp("to", 30010)
    declared = [] if inst.is_future else api.ex.catalogue.dividends.get(inst.ticker, [])
    return {"dividends": dividends_json(declared, start, end)}


@method("InstrumentsService", "TradingSchedules")
def trading_schedules(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    start = f.timestamp("from", 30009) or api.now()
    end = f.timestamp("to", 30010) or start
    if end < start:
        raise ApiError(30012)
    if end - start > timedelta(days=14):
        raise ApiError(30002)
    wanted = f.string("exchange").upper()
    names = {Market.SHARES: "MOEX", Market.FUTURES: "FORTS"}
    out = []
    for market, name in names.items():
        if wanted and wanted != name:
            continue
        days = []
        for day in api.ex.calendar.days(start.astimezone(UTC).date(), end.astimezone(UTC).date()):
            days.append(_trading_day(api, market, day))
        out.append({"exchange": name, "days": days})
    if wanted and not out:
        raise ApiError(50002, message="Exchange not found")
    return {"exchanges": out}


def _trading_day(api: BrokerApi, market: Market, day: Any) -> dict[str, Any]:
    from simulator.sessions import SessionMode, intervals_for, is_trading_day

    midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    mode = api.ex.calendar.mode
    trading = mode is SessionMode.ALWAYS_OPEN or (
        mode is SessionMode.CALENDAR and is_trading_day(day)
    )
    entry: dict[str, Any] = {"date": timestamp(midnight), "isTradingDay": trading}
    if not trading:
        return entry
    if mode is SessionMode.ALWAYS_OPEN:
        entry["startTime"] = timestamp(midnight)
        entry["endTime"] = timestamp(midnight + timedelta(days=1) - timedelta(milliseconds=1))
        entry["intervals"] = [
            {
                "type": "regular",
                "interval": {"startTs": entry["startTime"], "endTs": entry["endTime"]},
            }
        ]
        return entry
    ivs = {iv.kind: iv for iv in intervals_for(market)}
    start, end = api.ex.calendar.day_bounds(market, day)
    entry["startTime"] = timestamp(start)
    entry["endTime"] = timestamp(end)
    opening = ivs["opening_auction"]
    entry["openingAuctionStartTime"] = timestamp(moscow_time(day, opening.start))
    entry["openingAuctionEndTime"] = timestamp(moscow_time(day, opening.end))
    if "closing_auction" in ivs:
        closing = ivs["closing_auction"]
        entry["closingAuctionStartTime"] = timestamp(moscow_time(day, closing.start))
        entry["closingAuctionEndTime"] = timestamp(moscow_time(day, closing.end))
        ev_open = ivs["evening_opening_auction"]
        entry["eveningOpeningAuctionStartTime"] = timestamp(moscow_time(day, ev_open.start))
    evening = ivs["evening"]
    entry["eveningStartTime"] = timestamp(moscow_time(day, evening.start))
    entry["eveningEndTime"] = timestamp(moscow_time(day, evening.end))
    entry["clearingStartTime"] = timestamp(end)
    entry["clearingEndTime"] = timestamp(end + timedelta(minutes=40))
    entry["intervals"] = [
        {
            "type": iv.kind,
            "interval": {
                "startTs": timestamp(moscow_time(day, iv.start)),
                "endTs": timestamp(moscow_time(day, iv.end)),
            },
        }
        for iv in intervals_for(market)
    ]
    return entry


# ---- MarketDataService ----------------------------------------------------------------------


@method("MarketDataService", "GetLastPrices")
def get_last_prices(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    ids = f.strings("instrumentId") or f.strings("figi")
    insts = [api.ex.instrument(i) for i in ids] if ids else api.ex.catalogue.all
    return {"lastPrices": [ser.last_price(api.ex.market.quote(i)) for i in insts]}


@method("MarketDataService", "GetOrderBook")
def get_order_book(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    depth = f.int32("depth", invalid=30032)
    if depth is None or depth == 0:
        raise ApiError(30031)
    if depth not in ALLOWED_DEPTHS:
        raise ApiError(30032)
    inst = api.ex.instrument(f.instrument_id())
    return ser.order_book(api.ex.market.quote(inst), depth, api.ex.displayed_book(inst))


@method("MarketDataService", "GetTradingStatus")
def get_trading_status(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    inst = api.ex.instrument(f.instrument_id())
    return ser.trading_status(inst, api.status(inst))


@method("MarketDataService", "GetTradingStatuses")
def get_trading_statuses(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    ids = f.strings("instrumentId")
    if not ids:
        raise ApiError(30093)
    insts = [api.ex.instrument(i) for i in ids]
    return {"tradingStatuses": [ser.trading_status(i, api.status(i)) for i in insts]}


# ---- OrdersService --------------------------------------------------------------------------


@method("OrdersService", "PostOrder")
def post_order(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    order, _ = api.ex.post_order(_order_request(f))
    return ser.post_order_response(order, tid, api.now())


@method("OrdersService", "CancelOrder")
def cancel_order(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    order_id = f.string("orderId", missing=30027)
    id_type = f.enum("orderIdType", ("ORDER_ID_TYPE_EXCHANGE", "ORDER_ID_TYPE_REQUEST"))
    api.ex.cancel_order(account.id, order_id, id_type == "ORDER_ID_TYPE_REQUEST")
    return {
        "time": timestamp(api.now()),
        "responseMetadata": {"trackingId": tid, "serverTime": timestamp(api.now())},
    }


@method("OrdersService", "GetOrderState")
def get_order_state(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    order_id = f.string("orderId", missing=30027)
    id_type = f.enum("orderIdType", ("ORDER_ID_TYPE_EXCHANGE", "ORDER_ID_TYPE_REQUEST"))
    order = api.ex.find_order(account.id, order_id, id_type == "ORDER_ID_TYPE_REQUEST")
    return ser.order_state(order)


@method("OrdersService", "GetOrders")
def get_orders(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    return {"orders": [ser.order_state(o) for o in api.ex.active_orders(account.id)]}


@method("OrdersService", "GetMaxLots")
def get_max_lots(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    inst = api.ex.instrument(f.instrument_id())
    price = f.quotation("price", 30018)
    if price is not None and price <= 0:
        price = None
    lots = api.ex.max_lots(account, inst, price)
    free = account.free_money()
    return {
        "currency": "rub",
        "buyLimits": {
            "buyMoneyAmount": quotation(free),
            "buyMaxLots": str(lots["buy"]),
            "buyMaxMarketLots": str(lots["buy"]),
        },
        "buyMarginLimits": {
            "buyMoneyAmount": quotation(free),
            "buyMaxLots": str(lots["buy_margin"]),
            "buyMaxMarketLots": str(lots["buy_margin"]),
        },
        "sellLimits": {"sellMaxLots": str(lots["sell"])},
        "sellMarginLimits": {"sellMaxLots": str(lots["sell_margin"])},
    }


# ---- StopOrdersService ----------------------------------------------------------------------

STOP_STATUS_FILTER = {
    "STOP_ORDER_STATUS_ALL": None,
    "STOP_ORDER_STATUS_ACTIVE": STOP_ACTIVE,
    "STOP_ORDER_STATUS_EXECUTED": STOP_EXECUTED,
    "STOP_ORDER_STATUS_CANCELED": STOP_CANCELED,
    "STOP_ORDER_STATUS_EXPIRED": STOP_EXPIRED,
}


@method("StopOrdersService", "PostStopOrder")
def post_stop_order(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    request_id = f.string("orderId")
    if len(request_id) > 36:
        raise ApiError(30055)
    lots = f.int64("quantity", missing=30015, invalid=30016)
    assert lots is not None
    if lots <= 0:
        raise ApiError(30080 if lots < 0 else 30015)
    direction = f.enum("direction", (STOP_BUY, STOP_SELL), missing=30019, invalid=30020)
    stop_type = f.enum(
        "stopOrderType", (STOP_TAKE_PROFIT, STOP_LOSS, STOP_LIMIT), missing=30037, invalid=30038
    )
    expiration = f.enum("expirationType", (GTC, GTD), missing=30043, invalid=30044)
    stop_price = f.quotation("stopPrice", 30018)
    if stop_price is None:
        raise ApiError(30036)
    price = f.quotation("price", 30018)
    if stop_type == STOP_LIMIT and price is None:
        raise ApiError(30017)
    expire_at = f.timestamp("expireDate", 30040)
    if expiration == GTD and expire_at is None:
        raise ApiError(30040)
    exchange_type = f.enum(
        "exchangeOrderType",
        (EXCHANGE_MARKET, EXCHANGE_LIMIT),
        default=EXCHANGE_LIMIT if stop_type == STOP_LIMIT else EXCHANGE_MARKET,
    )
    inst = api.ex.instrument(f.instrument_id())
    stop = StopOrder(
        stop_order_id="",
        request_id=request_id,
        account_id=account.id,
        instrument=inst,
        direction=direction,
        stop_type=stop_type,
        lots=lots,
        stop_price=stop_price,
        price=price,
        expiration_type=expiration,
        expire_at=expire_at if expiration == GTD else None,
        exchange_order_type=exchange_type,
        created=api.now(),
    )
    stop, _ = api.ex.post_stop_order(stop)
    return {
        "stopOrderId": stop.stop_order_id,
        "orderRequestId": stop.request_id,
        "responseMetadata": {"trackingId": tid, "serverTime": timestamp(api.now())},
    }


@method("StopOrdersService", "GetStopOrders")
def get_stop_orders(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    option = f.enum(
        "status", tuple(STOP_STATUS_FILTER), invalid=30106, default="STOP_ORDER_STATUS_ACTIVE"
    )
    wanted = STOP_STATUS_FILTER[option]
    start = f.timestamp("from", 30009)
    end = f.timestamp("to", 30010)
    out = []
    for stop in api.ex.stop_orders.values():
        if stop.account_id != account.id or (wanted is not None and stop.status != wanted):
            continue
        if (start and stop.created < start) or (end and stop.created > end):
            continue
        out.append(ser.stop_order(stop))
    return {"stopOrders": out}


@method("StopOrdersService", "CancelStopOrder")
def cancel_stop_order(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    stop_id = f.string("stopOrderId", missing=30027)
    api.ex.cancel_stop_order(account.id, stop_id)
    return {"time": timestamp(api.now())}


# ---- OperationsService ----------------------------------------------------------------------


@method("OperationsService", "GetPortfolio")
def get_portfolio(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    f.enum("currency", ("RUB", "USD", "EUR"), default="RUB")
    values = api.positions_value(account)
    positions = []
    for pos in account.positions.values():
        if pos.balance == 0:
            continue
        inst = pos.instrument
        price = api.ex.market.quote(inst).last_price
        per_unit = inst.lot_value(price) / inst.lot
        avg_money = inst.lot_value(pos.average_price) / inst.lot
        expected = (per_unit - avg_money) * pos.balance
        positions.append(
            {
                "figi": inst.figi,
                "instrumentType": inst.instrument_type,
                "quantity": quotation(Decimal(pos.balance)),
                "averagePositionPrice": money(avg_money),
                "expectedYield": quotation(expected),
                "currentNkd": money(Decimal(0)),
                "averagePositionPricePt": quotation(
                    pos.average_price if inst.is_future else Decimal(0)
                ),
                "currentPrice": money(per_unit),
                "averagePositionPriceFifo": money(avg_money),
                "quantityLots": quotation(Decimal(pos.balance) / inst.lot),
                "blocked": pos.blocked > 0,
                "blockedLots": quotation(Decimal(pos.blocked) / inst.lot),
                "positionUid": inst.position_uid,
                "instrumentUid": inst.uid,
                "varMargin": money(Decimal(0)),
                "expectedYieldFifo": quotation(expected),
                "dailyYield": money(Decimal(0)),
                "ticker": inst.ticker,
                "classCode": inst.class_code,
            }
        )
    total = account.money + values["shares"] + values["futures"]
    positions.append(
        {
            "figi": "RUB000UTSTOM",
            "instrumentType": "currency",
            "quantity": quotation(account.money),
            "averagePositionPrice": money(Decimal(1)),
            "expectedYield": quotation(Decimal(0)),
            "currentPrice": money(Decimal(1)),
            "quantityLots": quotation(account.money),
            "blocked": False,
            "ticker": "RUB000UTSTOM",
            "classCode": "CETS",
        }
    )
    return {
        "totalAmountShares": money(values["shares"]),
        "totalAmountBonds": money(Decimal(0)),
        "totalAmountEtf": money(Decimal(0)),
        "totalAmountCurrencies": money(account.money),
        "totalAmountFutures": money(values["futures"]),
        "totalAmountOptions": money(Decimal(0)),
        "totalAmountSp": money(Decimal(0)),
        "totalAmountPortfolio": money(total),
        "expectedYield": quotation(Decimal(0)),
        "positions": positions,
        "virtualPositions": [],
        "accountId": account.id,
        "dailyYield": money(Decimal(0)),
        "dailyYieldRelative": quotation(Decimal(0)),
    }


@method("OperationsService", "GetPositions")
def get_positions(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    securities, futures_ = [], []
    for pos in account.positions.values():
        if pos.balance == 0 and pos.blocked == 0:
            continue
        inst = pos.instrument
        common = {
            "figi": inst.figi,
            "blocked": str(pos.blocked),
            "balance": str(pos.balance - pos.blocked),
            "positionUid": inst.position_uid,
            "instrumentUid": inst.uid,
            "ticker": inst.ticker,
            "classCode": inst.class_code,
        }
        if inst.is_future:
            futures_.append(common)
        else:
            securities.append({**common, "exchangeBlocked": False, "instrumentType": "share"})
    blocked = account.blocked_money()
    return {
        "money": [money(account.money - blocked)],
        "blocked": [money(blocked)],
        "securities": securities,
        "limitsLoadingInProgress": False,
        "futures": futures_,
        "options": [],
        "accountId": account.id,
    }


# ---- SandboxService -------------------------------------------------------------------------


@method("SandboxService", "OpenSandboxAccount")
def open_sandbox_account(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    name = f.string("name") or "Sandbox"
    account_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sim-sandbox:{len(api.ex.accounts)}:{name}"))
    api.ex.open_account(account_id, name, Decimal(0))
    return {"accountId": account_id}


@method("SandboxService", "GetSandboxAccounts")
def get_sandbox_accounts(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    return get_accounts(api, f, tid)


@method("SandboxService", "SandboxPayIn")
def sandbox_pay_in(api: BrokerApi, f: Fields, tid: str) -> dict[str, Any]:
    account = api.account(f)
    amount = f.quotation("amount", 30018)
    if amount is None or amount <= 0:
        raise ApiError(30018)
    currency = f.body.get("amount", {}).get("currency", "rub") or "rub"
    if str(currency).lower() != "rub":
        raise ApiError(30047)
    account.money += amount
    return {"balance": money(account.money)}
