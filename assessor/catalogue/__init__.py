"""Controls are data: YAML entries validated at load time, with file, line and id in errors."""

from assessor.catalogue.loader import Catalogue, Control, default_catalogue_path, load_catalogue
from assessor.catalogue.tailoring import Tailoring, apply_tailoring, load_tailoring

__all__ = [
    "Catalogue",
    "Control",
    "Tailoring",
    "apply_tailoring",
    "default_catalogue_path",
    "load_catalogue",
    "load_tailoring",
]
