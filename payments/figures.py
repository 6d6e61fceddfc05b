"""The figures every page, file and e-mail shows: sums of ledger entries grouped the same
way everywhere (collected, refunds, disputes, fees; gross and net from them)."""

from __future__ import annotations

from dataclasses import dataclass

from payments.models import LedgerEntry

# What the dealership's money did, in four groups of ledger kinds: every figure of the
# Payments tab, its exports and the daily report is one of these sums (or their total).
Kind = LedgerEntry.Kind
FIGURE_KINDS: dict[str, tuple[str, ...]] = {
    "collected": (Kind.CHARGE,),
    "refunds": (Kind.REFUND, Kind.ADJUSTMENT),
    "disputes": (Kind.DISPUTE, Kind.DISPUTE_WON),
    "fees": (Kind.PLATFORM_FEE, Kind.FEE_RETURNED, Kind.DISPUTE_FEE),
}


@dataclass(frozen=True)
class Figures:
    """Sums of ledger entries, in cents of one currency: collected (charges in, >= 0),
    refunds and disputes (money out, <= 0, less refunds that failed and disputes won back),
    fees (what the money cost, as a positive cost: our fee, less fees returned, plus Stripe's
    dispute fees). gross = collected + refunds + disputes = fees + net."""

    collected: int = 0
    refunds: int = 0
    disputes: int = 0
    fees: int = 0

    @classmethod
    def from_kinds(cls, sums: dict[str, int]) -> Figures:
        grouped = {
            name: sum(sums.get(kind, 0) for kind in kinds) for name, kinds in FIGURE_KINDS.items()
        }
        grouped["fees"] = -grouped["fees"]
        return cls(**grouped)

    @classmethod
    def from_signed(cls, values: list[int] | None) -> Figures:
        """From ``figures_sql``'s array: [collected, refunds, disputes, signed fees]."""
        collected, refunds, disputes, fees = values or (0, 0, 0, 0)
        return cls(collected, refunds, disputes, -fees)

    @property
    def gross(self) -> int:
        return self.collected + self.refunds + self.disputes

    @property
    def net(self) -> int:
        return self.gross - self.fees

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.collected + other.collected,
            self.refunds + other.refunds,
            self.disputes + other.disputes,
            self.fees + other.fees,
        )


# A daily report's line is one source's movements on the day (a charge and its fee, a refund
# and the fee returned, a dispute and its fee): its kind is the source's money kind, and it
# counts in the figure that kind counts in. Payouts move the balance to the bank: their own
# column, in no figure.
MONEY_KINDS: tuple[str, ...] = (
    *FIGURE_KINDS["collected"],
    *FIGURE_KINDS["refunds"],
    *FIGURE_KINDS["disputes"],
)
PAYOUT_KINDS: tuple[str, ...] = (Kind.PAYOUT, Kind.PAYOUT_REVERSAL)
LINE_FIGURE: dict[str, str] = {
    kind: name for name, kinds in FIGURE_KINDS.items() if name != "fees" for kind in kinds
}
