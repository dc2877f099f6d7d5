"""Wire JSON -> domain objects. Defensive: a missing field is 0, false or ""; a malformed number
raises ProtocolError (never a silent wrong price)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bot.broker.errors import ProtocolError
from bot.broker.money import MoneyError, quotation_to_decimal
from bot.broker.types import (
    AccessLevel,
    Account,
    AccountStatus,
    Dividend,
    ExchangeOrderType,
    FuturesMargin,
    Instrument,
    InstrumentKind,
    LastPrice,
    MarginAttributes,
    MaxLots,
    Money,
    OrderBook,
    OrderDirection,
    OrderState,
    OrderStatus,
    OrderTrade,
    OrderType,
    Portfolio,
    PortfolioPosition,
    PositionBalance,
    Positions,
    PostOrderResult,
    PostStopOrderResult,
    PriceLevel,
    StopOrder,
    StopOrderDirection,
    StopOrderStatus,
    StopOrderType,
    StreamLimit,
    TakeProfitType,
    TradingDay,
    TradingInterval,
    TradingSchedule,
    TradingStatus,
    TradingStatusCode,
    UnaryLimit,
    UserTariff,
)

Json = Mapping[str, Any]


def _obj(data: Any) -> Json:
    return data if isinstance(data, Mapping) else {}


def _list(data: Any) -> list[Any]:
    return data if isinstance(data, list) else []


def s(data: Json, key: str) -> str:
    v = data.get(key)
    return v if isinstance(v, str) else ""


def b(data: Json, key: str) -> bool:
    return data.get(key) is True


def i(data: Json, key: str) -> int:
    v = data.get(key)
    if v is None or v == "":
        return 0
    if isinstance(v, bool):
        raise ProtocolError(f"field {key!r}: expected an integer, got {v!r}")
    try:
        return int(v)
    except (TypeError, ValueError):
        raise ProtocolError(f"field {key!r}: expected an integer, got {v!r}") from None


def q(data: Json, key: str) -> Decimal:
    try:
        return quotation_to_decimal(data.get(key))
    except MoneyError as exc:
        raise ProtocolError(f"field {key!r}: {exc}") from None


def q_opt(data: Json, key: str) -> Decimal | None:
    return q(data, key) if isinstance(data.get(key), Mapping) else None


def money(data: Json, key: str) -> Money | None:
    v = data.get(key)
    if not isinstance(v, Mapping):
        return None
    return money_value(v, key)


def money_value(v: Json, what: str = "money") -> Money:
    try:
        amount = quotation_to_decimal(v)
    except MoneyError as exc:
        raise ProtocolError(f"{what}: {exc}") from None
    return Money(amount=amount, currency=s(v, "currency").upper())


def ts(data: Json, key: str) -> datetime | None:
    v = data.get(key)
    if not isinstance(v, str) or not v:
        return None
    return parse_time(v, key)


def parse_time(v: str, what: str = "time") -> datetime:
    text = v.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.11 fromisoformat accepts up to 6 fractional digits; the wire may send 9.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        tail = ""
        for pos, ch in enumerate(rest):
            if not ch.isdigit():
                tail = rest[pos:]
                break
            digits += ch
        text = f"{head}.{digits[:6].ljust(6, '0')}{tail}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ProtocolError(f"{what}: not an RFC 3339 time: {v!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# ---------------------------------------------------------------- users


def account(d: Json) -> Account:
    return Account(
        id=s(d, "id"),
        name=s(d, "name"),
        type=s(d, "type"),
        status=AccountStatus.from_wire(d.get("status")),
        access_level=AccessLevel.from_wire(d.get("accessLevel")),
        opened_at=ts(d, "openedDate"),
        closed_at=ts(d, "closedDate"),
    )


def margin_attributes(d: Json) -> MarginAttributes:
    return MarginAttributes(
        liquid_portfolio=money(d, "liquidPortfolio"),
        starting_margin=money(d, "startingMargin"),
        minimal_margin=money(d, "minimalMargin"),
        funds_sufficiency_level=q(d, "fundsSufficiencyLevel"),
        amount_of_missing_funds=money(d, "amountOfMissingFunds"),
        corrected_margin=money(d, "correctedMargin"),
    )


def user_tariff(d: Json) -> UserTariff:
    unary = tuple(
        UnaryLimit(
            limit_per_minute=i(_obj(u), "limitPerMinute"),
            methods=tuple(m for m in _list(_obj(u).get("methods")) if isinstance(m, str)),
            limit_per_second=i(_obj(u), "limitPerSecond") or None,
        )
        for u in _list(d.get("unaryLimits"))
    )
    streams = tuple(
        StreamLimit(
            limit=i(_obj(x), "limit"),
            streams=tuple(m for m in _list(_obj(x).get("streams")) if isinstance(m, str)),
            open=i(_obj(x), "open"),
        )
        for x in _list(d.get("streamLimits"))
    )
    return UserTariff(unary_limits=unary, stream_limits=streams)


# ---------------------------------------------------------------- instruments


def instrument(d: Json, kind: InstrumentKind | None = None) -> Instrument:
    if kind is None:
        kind = InstrumentKind.from_wire(d.get("instrumentKind"))
        if kind == InstrumentKind.UNSPECIFIED:
            kind = {
                "share": InstrumentKind.SHARE,
                "futures": InstrumentKind.FUTURES,
                "bond": InstrumentKind.BOND,
                "etf": InstrumentKind.ETF,
                "currency": InstrumentKind.CURRENCY,
            }.get(s(d, "instrumentType").lower(), InstrumentKind.UNSPECIFIED)
    lot = i(d, "lot")
    return Instrument(
        kind=kind,
        figi=s(d, "figi"),
        uid=s(d, "uid"),
        ticker=s(d, "ticker"),
        class_code=s(d, "classCode"),
        name=s(d, "name"),
        lot=lot,
        currency=s(d, "currency").upper(),
        min_price_increment=q(d, "minPriceIncrement"),
        isin=s(d, "isin"),
        exchange=s(d, "exchange"),
        position_uid=s(d, "positionUid"),
        asset_uid=s(d, "assetUid"),
        api_trade_available=b(d, "apiTradeAvailableFlag"),
        buy_available=b(d, "buyAvailableFlag"),
        sell_available=b(d, "sellAvailableFlag"),
        short_enabled=b(d, "shortEnabledFlag"),
        weekend_trading=b(d, "weekendFlag"),
        for_qual_investor=b(d, "forQualInvestorFlag"),
        trading_status=TradingStatusCode.from_wire(d.get("tradingStatus")),
        dlong=q_opt(d, "dlong"),
        dshort=q_opt(d, "dshort"),
        dlong_min=q_opt(d, "dlongMin"),
        dshort_min=q_opt(d, "dshortMin"),
        dlong_client=q_opt(d, "dlongClient"),
        dshort_client=q_opt(d, "dshortClient"),
        basic_asset=s(d, "basicAsset"),
        basic_asset_size=q_opt(d, "basicAssetSize"),
        basic_asset_position_uid=s(d, "basicAssetPositionUid"),
        futures_type=s(d, "futuresType"),
        asset_type=s(d, "assetType"),
        first_trade_date=ts(d, "firstTradeDate"),
        last_trade_date=ts(d, "lastTradeDate"),
        expiration_date=ts(d, "expirationDate"),
        min_price_increment_amount=q_opt(d, "minPriceIncrementAmount"),
        initial_margin_on_buy=money(d, "initialMarginOnBuy"),
        initial_margin_on_sell=money(d, "initialMarginOnSell"),
    )


def futures_margin(d: Json) -> FuturesMargin:
    return FuturesMargin(
        initial_margin_on_buy=money(d, "initialMarginOnBuy"),
        initial_margin_on_sell=money(d, "initialMarginOnSell"),
        min_price_increment=q(d, "minPriceIncrement"),
        min_price_increment_amount=q(d, "minPriceIncrementAmount"),
    )


def dividend(d: Json) -> Dividend:
    return Dividend(
        dividend_net=money(d, "dividendNet"),
        payment_date=ts(d, "paymentDate"),
        declared_date=ts(d, "declaredDate"),
        last_buy_date=ts(d, "lastBuyDate"),
        record_date=ts(d, "recordDate"),
        dividend_type=s(d, "dividendType"),
        regularity=s(d, "regularity"),
        close_price=money(d, "closePrice"),
        yield_value=q_opt(d, "yieldValue"),
        created_at=ts(d, "createdAt"),
    )


def trading_day(d: Json) -> TradingDay:
    when = ts(d, "date")
    day: date = when.date() if when else date.min
    return TradingDay(
        date=day,
        is_trading_day=b(d, "isTradingDay"),
        start=ts(d, "startTime"),
        end=ts(d, "endTime"),
        opening_auction_start=ts(d, "openingAuctionStartTime"),
        opening_auction_end=ts(d, "openingAuctionEndTime"),
        closing_auction_start=ts(d, "closingAuctionStartTime"),
        closing_auction_end=ts(d, "closingAuctionEndTime"),
        evening_opening_auction_start=ts(d, "eveningOpeningAuctionStartTime"),
        evening_start=ts(d, "eveningStartTime"),
        evening_end=ts(d, "eveningEndTime"),
        clearing_start=ts(d, "clearingStartTime"),
        clearing_end=ts(d, "clearingEndTime"),
        premarket_start=ts(d, "premarketStartTime"),
        premarket_end=ts(d, "premarketEndTime"),
        intervals=tuple(
            TradingInterval(
                type=s(_obj(x), "type"),
                start=ts(_obj(_obj(x).get("interval")), "startTs"),
                end=ts(_obj(_obj(x).get("interval")), "endTs"),
            )
            for x in _list(d.get("intervals"))
        ),
    )


def trading_schedule(d: Json) -> TradingSchedule:
    return TradingSchedule(
        exchange=s(d, "exchange"),
        days=tuple(trading_day(_obj(x)) for x in _list(d.get("days"))),
    )


# ---------------------------------------------------------------- market data


def _levels(rows: Any) -> tuple[PriceLevel, ...]:
    return tuple(PriceLevel(q(_obj(r), "price"), i(_obj(r), "quantity")) for r in _list(rows))


def order_book(d: Json) -> OrderBook:
    return OrderBook(
        instrument_uid=s(d, "instrumentUid"),
        figi=s(d, "figi"),
        depth=i(d, "depth"),
        bids=_levels(d.get("bids")),
        asks=_levels(d.get("asks")),
        time=ts(d, "orderbookTs") or ts(d, "time"),
        ticker=s(d, "ticker"),
        class_code=s(d, "classCode"),
        last_price=q_opt(d, "lastPrice"),
        close_price=q_opt(d, "closePrice"),
        limit_up=q_opt(d, "limitUp"),
        limit_down=q_opt(d, "limitDown"),
    )


def last_price(d: Json) -> LastPrice:
    return LastPrice(
        instrument_uid=s(d, "instrumentUid"),
        figi=s(d, "figi"),
        price=q(d, "price"),
        time=ts(d, "time"),
        ticker=s(d, "ticker"),
        class_code=s(d, "classCode"),
    )


def trading_status(d: Json) -> TradingStatus:
    return TradingStatus(
        instrument_uid=s(d, "instrumentUid"),
        figi=s(d, "figi"),
        status=TradingStatusCode.from_wire(d.get("tradingStatus")),
        limit_order_available=b(d, "limitOrderAvailableFlag"),
        market_order_available=b(d, "marketOrderAvailableFlag"),
        api_trade_available=b(d, "apiTradeAvailableFlag"),
        bestprice_order_available=b(d, "bestpriceOrderAvailableFlag"),
        only_best_price=b(d, "onlyBestPrice"),
        ticker=s(d, "ticker"),
        class_code=s(d, "classCode"),
        time=ts(d, "time"),
    )


# ---------------------------------------------------------------- orders


def order_trade(d: Json) -> OrderTrade:
    price = d.get("price")
    return OrderTrade(
        trade_id=s(d, "tradeId"),
        quantity=i(d, "quantity"),
        price=q(d, "price") if isinstance(price, Mapping) else Decimal(0),
        time=ts(d, "executionTime") or ts(d, "dateTime"),
    )


def order_state(d: Json) -> OrderState:
    trades = d.get("stages") if d.get("stages") else d.get("trades")
    return OrderState(
        order_id=s(d, "orderId"),
        request_id=s(d, "orderRequestId"),
        status=OrderStatus.from_wire(d.get("executionReportStatus")),
        direction=OrderDirection.from_wire(d.get("direction")),
        order_type=OrderType.from_wire(d.get("orderType")),
        lots_requested=i(d, "lotsRequested"),
        lots_executed=i(d, "lotsExecuted"),
        initial_order_price=money(d, "initialOrderPrice"),
        executed_order_price=money(d, "executedOrderPrice"),
        total_order_amount=money(d, "totalOrderAmount"),
        average_position_price=money(d, "averagePositionPrice"),
        initial_security_price=money(d, "initialSecurityPrice"),
        initial_commission=money(d, "initialCommission"),
        executed_commission=money(d, "executedCommission"),
        figi=s(d, "figi"),
        instrument_uid=s(d, "instrumentUid"),
        ticker=s(d, "ticker"),
        class_code=s(d, "classCode"),
        currency=s(d, "currency").upper(),
        order_date=ts(d, "orderDate") or ts(d, "createdAt"),
        trades=tuple(order_trade(_obj(x)) for x in _list(trades)),
    )


def post_order_result(d: Json, tracking_id: str = "") -> PostOrderResult:
    return PostOrderResult(
        order_id=s(d, "orderId"),
        request_id=s(d, "orderRequestId"),
        status=OrderStatus.from_wire(d.get("executionReportStatus")),
        lots_requested=i(d, "lotsRequested"),
        lots_executed=i(d, "lotsExecuted"),
        direction=OrderDirection.from_wire(d.get("direction")),
        order_type=OrderType.from_wire(d.get("orderType")),
        initial_order_price=money(d, "initialOrderPrice"),
        executed_order_price=money(d, "executedOrderPrice"),
        total_order_amount=money(d, "totalOrderAmount"),
        initial_security_price=money(d, "initialSecurityPrice"),
        figi=s(d, "figi"),
        instrument_uid=s(d, "instrumentUid"),
        ticker=s(d, "ticker"),
        class_code=s(d, "classCode"),
        message=s(d, "message"),
        tracking_id=tracking_id,
    )


def max_lots(d: Json) -> MaxLots:
    buy = _obj(d.get("buyLimits"))
    buy_margin = _obj(d.get("buyMarginLimits"))
    return MaxLots(
        currency=s(d, "currency").upper(),
        buy_max_lots=i(buy, "buyMaxLots"),
        buy_max_market_lots=i(buy, "buyMaxMarketLots"),
        buy_money_amount=q(buy, "buyMoneyAmount"),
        buy_margin_max_lots=i(buy_margin, "buyMaxLots"),
        sell_max_lots=i(_obj(d.get("sellLimits")), "sellMaxLots"),
        sell_margin_max_lots=i(_obj(d.get("sellMarginLimits")), "sellMaxLots"),
    )


def _money_amount(d: Json, key: str) -> Decimal | None:
    m = money(d, key)
    return m.amount if m is not None else None


def stop_order(d: Json) -> StopOrder:
    return StopOrder(
        stop_order_id=s(d, "stopOrderId"),
        lots_requested=i(d, "lotsRequested"),
        direction=StopOrderDirection.from_wire(d.get("direction")),
        order_type=StopOrderType.from_wire(d.get("orderType")),
        status=StopOrderStatus.from_wire(d.get("status")),
        price=_money_amount(d, "price"),
        stop_price=_money_amount(d, "stopPrice"),
        currency=s(d, "currency").upper(),
        figi=s(d, "figi"),
        instrument_uid=s(d, "instrumentUid"),
        ticker=s(d, "ticker"),
        class_code=s(d, "classCode"),
        created_at=ts(d, "createDate"),
        activated_at=ts(d, "activationDateTime"),
        expires_at=ts(d, "expirationTime"),
        exchange_order_type=ExchangeOrderType.from_wire(d.get("exchangeOrderType")),
        exchange_order_id=s(d, "exchangeOrderId"),
        take_profit_type=TakeProfitType.from_wire(d.get("takeProfitType")),
    )


def post_stop_order_result(d: Json, tracking_id: str = "") -> PostStopOrderResult:
    return PostStopOrderResult(
        stop_order_id=s(d, "stopOrderId"),
        request_id=s(d, "orderRequestId"),
        tracking_id=tracking_id,
    )


# ---------------------------------------------------------------- portfolio


def portfolio_position(d: Json) -> PortfolioPosition:
    return PortfolioPosition(
        figi=s(d, "figi"),
        instrument_uid=s(d, "instrumentUid"),
        instrument_type=s(d, "instrumentType"),
        quantity=q(d, "quantity"),
        quantity_lots=q_opt(d, "quantityLots"),
        average_position_price=money(d, "averagePositionPrice"),
        current_price=money(d, "currentPrice"),
        expected_yield=q_opt(d, "expectedYield"),
        blocked_lots=q_opt(d, "blockedLots"),
        var_margin=money(d, "varMargin"),
        position_uid=s(d, "positionUid"),
        ticker=s(d, "ticker"),
        class_code=s(d, "classCode"),
    )


def portfolio(d: Json) -> Portfolio:
    return Portfolio(
        account_id=s(d, "accountId"),
        total_amount_portfolio=money(d, "totalAmountPortfolio"),
        total_amount_shares=money(d, "totalAmountShares"),
        total_amount_futures=money(d, "totalAmountFutures"),
        total_amount_currencies=money(d, "totalAmountCurrencies"),
        expected_yield=q_opt(d, "expectedYield"),
        positions=tuple(portfolio_position(_obj(x)) for x in _list(d.get("positions"))),
    )


def position_balance(d: Json) -> PositionBalance:
    return PositionBalance(
        figi=s(d, "figi"),
        instrument_uid=s(d, "instrumentUid"),
        balance=i(d, "balance"),
        blocked=i(d, "blocked"),
        instrument_type=s(d, "instrumentType"),
        position_uid=s(d, "positionUid"),
        ticker=s(d, "ticker"),
        class_code=s(d, "classCode"),
        exchange_blocked=b(d, "exchangeBlocked"),
    )


def positions(d: Json) -> Positions:
    return Positions(
        account_id=s(d, "accountId"),
        money=tuple(money_value(_obj(x)) for x in _list(d.get("money"))),
        blocked=tuple(money_value(_obj(x)) for x in _list(d.get("blocked"))),
        securities=tuple(position_balance(_obj(x)) for x in _list(d.get("securities"))),
        futures=tuple(position_balance(_obj(x)) for x in _list(d.get("futures"))),
        limits_loading_in_progress=b(d, "limitsLoadingInProgress"),
    )
