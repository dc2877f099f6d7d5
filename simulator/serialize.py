"""Domain objects -> the broker's camelCase JSON."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from simulator.accounts import Account
from simulator.codec import money, quotation, timestamp
from simulator.instruments import Instrument
from simulator.market import Book, Level, Quote, price_limits
from simulator.orders import Order, StopOrder

EPOCH = "1970-01-01T00:00:00.000Z"


def _ids(inst: Instrument) -> dict[str, Any]:
    return {
        "figi": inst.figi,
        "ticker": inst.ticker,
        "classCode": inst.class_code,
        "instrumentUid": inst.uid,
    }


def _common(inst: Instrument, status: str) -> dict[str, Any]:
    return {
        "figi": inst.figi,
        "ticker": inst.ticker,
        "classCode": inst.class_code,
        "lot": inst.lot,
        "currency": "rub",
        "klong": quotation(Decimal(2)),
        "kshort": quotation(Decimal(2) if inst.short_enabled else Decimal(0)),
        "dlong": quotation(inst.dlong),
        "dshort": quotation(inst.dshort if inst.short_enabled else Decimal(0)),
        "dlongMin": quotation(inst.dlong / 2),
        "dshortMin": quotation(inst.dshort / 2 if inst.short_enabled else Decimal(0)),
        "shortEnabledFlag": inst.short_enabled,
        "name": inst.name,
        "exchange": "MOEX_PLUS" if not inst.is_future else "FORTS_EVENING",
        "countryOfRisk": "RU",
        "countryOfRiskName": "Российская Федерация",
        "tradingStatus": status,
        "otcFlag": False,
        "buyAvailableFlag": inst.buy_available,
        "sellAvailableFlag": inst.sell_available,
        "minPriceIncrement": quotation(inst.min_price_increment),
        "apiTradeAvailableFlag": inst.api_trade_available,
        "uid": inst.uid,
        "realExchange": "REAL_EXCHANGE_MOEX",
        "positionUid": inst.position_uid,
        "forIisFlag": True,
        "forQualInvestorFlag": False,
        "weekendFlag": False,
        "blockedTcaFlag": False,
        "dlongClient": quotation(inst.dlong if inst.dlong_client is None else inst.dlong_client),
        "dshortClient": quotation(_dshort_client(inst)),
    }


def _dshort_client(inst: Instrument) -> Decimal:
    if not inst.short_enabled:
        return Decimal(0)
    return inst.dshort if inst.dshort_client is None else inst.dshort_client


def share(inst: Instrument, status: str) -> dict[str, Any]:
    out = _common(inst, status)
    out.update(
        {
            "isin": inst.isin,
            "sector": "other",
            "shareType": "SHARE_TYPE_COMMON",
            "assetUid": inst.asset_uid,
            "divYieldFlag": True,
            "liquidityFlag": True,
            "nominal": money(Decimal(1)),
        }
    )
    return out


def future(inst: Instrument, status: str, underlying: Instrument | None) -> dict[str, Any]:
    out = _common(inst, status)
    exp = timestamp(inst.expiration) if inst.expiration else EPOCH
    out.update(
        {
            "firstTradeDate": timestamp(inst.first_trade) if inst.first_trade else EPOCH,
            "lastTradeDate": exp,
            "futuresType": "DELIVERY_TYPE_PHYSICAL_DELIVERY",
            "assetType": "TYPE_SECURITY",
            "basicAsset": inst.basic_asset,
            "basicAssetSize": quotation(inst.basic_asset_size),
            "sector": "SECTOR_OTHER",
            "expirationDate": exp,
            "basicAssetPositionUid": underlying.position_uid if underlying else "",
            "initialMarginOnBuy": money(inst.initial_margin),
            "initialMarginOnSell": money(inst.initial_margin),
            "minPriceIncrementAmount": quotation(inst.min_price_increment_amount),
        }
    )
    return out


def instrument(inst: Instrument, status: str) -> dict[str, Any]:
    out = _common(inst, status)
    out.update(
        {
            "isin": inst.isin,
            "instrumentType": inst.instrument_type,
            "instrumentKind": inst.instrument_kind,
            "assetUid": inst.asset_uid,
        }
    )
    return out


def _levels(levels: list[Level], depth: int) -> list[dict[str, Any]]:
    return [{"price": quotation(lv.price), "quantity": str(lv.quantity)} for lv in levels[:depth]]


def order_book(quote: Quote, depth: int, book: Book | None = None) -> dict[str, Any]:
    inst = quote.instrument
    book = book or quote.book
    limit_down, limit_up = price_limits(inst, quote.close_price)
    book_time = book.time or quote.last_time
    return {
        **_ids(inst),
        "depth": depth,
        "bids": _levels(book.bids, depth),
        "asks": _levels(book.asks, depth),
        "lastPrice": quotation(quote.last_price),
        "closePrice": quotation(quote.close_price),
        "limitUp": quotation(limit_up),
        "limitDown": quotation(limit_down),
        "lastPriceTs": timestamp(quote.last_time),
        "closePriceTs": timestamp(quote.last_time),
        "orderbookTs": timestamp(book_time),
    }


def last_price(quote: Quote) -> dict[str, Any]:
    return {
        **_ids(quote.instrument),
        "price": quotation(quote.last_price),
        "time": timestamp(quote.last_time),
        "lastPriceType": "LAST_PRICE_EXCHANGE",
    }


def trading_status(inst: Instrument, status: str) -> dict[str, Any]:
    normal = status == "SECURITY_TRADING_STATUS_NORMAL_TRADING"
    limit_ok = normal or status in (
        "SECURITY_TRADING_STATUS_OPENING_AUCTION_PERIOD",
        "SECURITY_TRADING_STATUS_CLOSING_AUCTION",
    )
    return {
        **_ids(inst),
        "tradingStatus": status,
        "limitOrderAvailableFlag": limit_ok,
        "marketOrderAvailableFlag": normal,
        "apiTradeAvailableFlag": inst.api_trade_available,
        "bestpriceOrderAvailableFlag": normal,
        "onlyBestPrice": False,
    }


def _order_money(order: Order) -> dict[str, Any]:
    """Money fields as the broker fills them: ``initialOrderPrice`` is the whole order at the
    initial price, ``executedOrderPrice`` the average price of one instrument, and
    ``totalOrderAmount`` the executed value including commission."""
    inst = order.instrument
    initial_value = inst.lot_value(order.initial_price) * order.lots_requested
    initial_commission = (initial_value * Decimal("0.0005")).quantize(Decimal("0.01"))
    if order.lots_executed:
        total = order.executed_value() + order.executed_commission
    else:
        total = initial_value + initial_commission
    return {
        "initialOrderPrice": money(initial_value),
        "executedOrderPrice": money(order.average_price()),
        "totalOrderAmount": money(total),
        "initialCommission": money(initial_commission),
        "executedCommission": money(order.executed_commission),
        "initialSecurityPrice": money(order.initial_price),
    }


def post_order_response(order: Order, tracking_id: str, now: datetime) -> dict[str, Any]:
    return {
        "orderId": order.order_id,
        "executionReportStatus": order.status,
        "lotsRequested": str(order.lots_requested),
        "lotsExecuted": str(order.lots_executed),
        **_order_money(order),
        "aciValue": money(Decimal(0)),
        "direction": order.direction,
        "orderType": order.order_type,
        "message": order.message,
        "initialOrderPricePt": quotation(order.initial_price),
        **_ids(order.instrument),
        "orderRequestId": order.request_id,
        "responseMetadata": {"trackingId": tracking_id, "serverTime": timestamp(now)},
    }


def order_state(order: Order) -> dict[str, Any]:
    return {
        "orderId": order.order_id,
        "executionReportStatus": order.status,
        "lotsRequested": str(order.lots_requested),
        "lotsExecuted": str(order.lots_executed),
        **_order_money(order),
        "averagePositionPrice": money(order.average_price()),
        "direction": order.direction,
        "stages": [
            {
                "price": money(f.price),
                "quantity": str(f.lots),
                "tradeId": f.trade_id,
                "executionTime": timestamp(f.time),
            }
            for f in order.fills
        ],
        "serviceCommission": money(Decimal(0)),
        "currency": "rub",
        "orderType": order.order_type,
        "orderDate": timestamp(order.created),
        **_ids(order.instrument),
        "orderRequestId": order.request_id,
    }


def order_state_event(order: Order, new_fills: int) -> dict[str, Any]:
    """An OrderStateStream ``orderState`` message; ``trades`` holds the latest fills."""
    inst = order.instrument
    trades = order.fills[len(order.fills) - new_fills :] if new_fills else []
    return {
        "orderId": order.order_id,
        "orderRequestId": order.request_id,
        "createdAt": timestamp(order.created),
        "executionReportStatus": order.status,
        "ticker": inst.ticker,
        "classCode": inst.class_code,
        "lotSize": inst.lot,
        "direction": order.direction,
        "timeInForce": order.time_in_force,
        "orderType": order.order_type,
        "accountId": order.account_id,
        "initialOrderPrice": money(inst.lot_value(order.initial_price) * order.lots_requested),
        "orderPrice": money(order.price if order.price is not None else order.initial_price),
        "amount": money(order.executed_value()),
        "executedOrderPrice": money(order.average_price()),
        "currency": "rub",
        "lotsRequested": str(order.lots_requested),
        "lotsExecuted": str(order.lots_executed),
        "lotsLeft": str(order.lots_left if order.active else 0),
        "lotsCancelled": str(order.lots_cancelled),
        "trades": [
            {
                "dateTime": timestamp(f.time),
                "price": quotation(f.price),
                "quantity": str(f.lots * inst.lot),
                "tradeId": f.trade_id,
            }
            for f in trades
        ],
        "completionTime": timestamp(order.updated or order.created),
        "exchange": "MOEX" if not inst.is_future else "FORTS",
        "instrumentUid": inst.uid,
    }


def stop_order(stop: StopOrder) -> dict[str, Any]:
    inst = stop.instrument
    out: dict[str, Any] = {
        "stopOrderId": stop.stop_order_id,
        "lotsRequested": str(stop.lots),
        "direction": stop.direction,
        "currency": "rub",
        "orderType": stop.stop_type,
        "createDate": timestamp(stop.created),
        "stopPrice": money(stop.stop_price),
        "price": money(stop.price if stop.price is not None else Decimal(0)),
        "takeProfitType": "TAKE_PROFIT_TYPE_REGULAR",
        "status": stop.status,
        "exchangeOrderType": stop.exchange_order_type,
        "exchangeOrderId": stop.exchange_order_id,
        **_ids(inst),
    }
    if stop.activated is not None:
        out["activationDateTime"] = timestamp(stop.activated)
    if stop.expire_at is not None:
        out["expirationTime"] = timestamp(stop.expire_at)
    return out


def account(acc: Account) -> dict[str, Any]:
    return {
        "id": acc.id,
        "type": "ACCOUNT_TYPE_TINKOFF",
        "name": acc.name,
        "status": "ACCOUNT_STATUS_OPEN",
        "openedDate": timestamp(acc.opened),
        "closedDate": EPOCH,
        "accessLevel": "ACCOUNT_ACCESS_LEVEL_FULL_ACCESS",
    }
