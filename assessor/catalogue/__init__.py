"""Controls are data: YAML entries validated at load time, with file, line and id in errors."""

from assessor.catalogue.loader import Catalogue, Control, default_catalogue_path, load_catalogue

__all__ = ["Catalogue", "Control", "default_catalogue_path", "load_catalogue"]
