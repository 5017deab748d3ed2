"""allyship-packets: printable workshop packets from YAML content and one file per organisation."""

__version__ = "0.1.0"
