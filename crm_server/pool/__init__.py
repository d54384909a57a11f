"""公海: public pools, claiming and releasing, recycling rules, hand-over of departing staff."""
from .views import bp

__all__ = ["bp"]
