"""allyship-packets: printable workshop packets from YAML content and one file per organization."""

__version__ = "0.1.0"
