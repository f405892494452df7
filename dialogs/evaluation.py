"""The bot's decision pipeline as the predictor ``frontoffice eval`` scores.

Each labelled message is read as the first message of a new conversation, exactly
as the front desk reads it (:func:`dialogs.understand.understand` with no dialog),
so the eval measures what the bot would do, not what one of its parts says.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dialogs.understand import NO_DIALOG, understand
from knowledge.evaluation import Prediction, Predictor
from knowledge.reload import Snapshot

# The moment the eval files are written against: Tuesday 1 December 2026, 09:30 local.
EVAL_NOW = datetime(2026, 12, 1, 9, 30)


def pipeline(snapshot: Snapshot, now: datetime | None = None) -> Predictor:
    """A predictor that runs ``understand`` on each message (``now``: local, naive ok)."""
    zone = ZoneInfo(snapshot.knowledge.organisation.timezone)
    moment = (now or EVAL_NOW).replace(tzinfo=zone) if (now or EVAL_NOW).tzinfo is None else now
    assert moment is not None

    def predict(text: str) -> Prediction:
        understood = understand(text.strip(), NO_DIALOG, snapshot, moment)
        return Prediction(understood.predicted_id, understood.top3, understood.act.value)

    return predict
