"""One settings object, read from the environment.

``NEO4J_*`` point at an existing server (bolt:// or neo4j://); without ``NEO4J_URI`` the
project runs its own local Neo4j under ``$RISKGRAPH_HOME``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RISKGRAPH_", extra="ignore")

    home: Path = Field(default=Path(".riskgraph"), description="all local state lives here")
    bolt_port: int = Field(default=7687, ge=1, le=65535)
    neo4j_heap: str = "4g"
    neo4j_pagecache: str = "4g"
    neo4j_transaction_memory: str | None = Field(
        default=None,
        pattern=r"^[0-9]+[kKmMgG]?$",
        description="the local Neo4j's limit on all transactions' memory together (default 70 % of the heap)",
    )
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    bulk_min_rows: int = Field(
        default=100_000, ge=0, description="a first load this large goes through Neo4j's importer (local only)"
    )
    home_country: str = Field(
        default="CN",
        pattern=r"^[A-Za-z]{2}$",
        description="the administration's country (ISO alpha-2): local phone numbers and addresses are read as its",
    )
    neo4j_gds: bool = Field(default=False, description="load Graph Data Science into the local Neo4j")
    neo4j_password_file: Path | None = Field(
        default=None,
        description="the local Neo4j's generated password (default $RISKGRAPH_HOME/neo4j/password); set it so "
        "commands with another home can use a server this home did not start",
    )
    intel_hops: int = Field(
        default=1, ge=1, le=3, description="how far from what an intelligence record names a firm raises an alert"
    )
    audit_retention_months: int = Field(
        default=24, ge=0, description="monthly audit log files kept (the current one included); 0 keeps all"
    )
    graph_timeout: float = Field(
        default=5.0,
        gt=0,
        le=600,
        description="the API's bound on connecting to Neo4j, taking a pooled connection and each query (seconds)",
    )
    write_retry: float = Field(
        default=30,
        ge=0,
        le=3600,
        description="how long a command retries a transaction while Neo4j is unreachable or answers a transient "
        "error (seconds); past it the command stops, and the same command run again resumes",
    )
    spark_master: str | None = Field(
        default=None,
        description="the Spark master for `--declarations-engine spark` (spark://, yarn, k8s://); default: Spark's "
        "own configuration (spark-defaults.conf), else local[*]",
    )
    spark_store: str | None = Field(
        default=None,
        description="where Spark's executors read $RISKGRAPH_HOME/declarations (s3a://, hdfs://, a mounted path) "
        "when they see it elsewhere than this host does",
    )
    neo4j_start_timeout: float = Field(default=240, ge=1, description="seconds the local Neo4j may take to answer")
    alongside_min_edges: int = Field(
        default=100_000,
        ge=0,
        description="an analysis whose graph has this many edges or more runs betweenness, recency and network "
        "scoring in a forked child, on another core, beside igraph work that stays in the process; 0: always",
    )
    duckdb_memory: str = Field(
        default="1GB",
        pattern=r"^\s*[0-9]+(\.[0-9]+)?\s*[KMGkmg][Bb]\s*$",
        description="DuckDB's memory for declaration-sized work (it spills beyond it); at 10M declarations a year "
        "the firms' counterpart usage alone is 17M rows: give it 6GB",
    )

    neo4j_uri: str | None = Field(default=None, validation_alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", validation_alias="NEO4J_USER")
    neo4j_password: str = Field(default="", validation_alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", validation_alias="NEO4J_DATABASE")

    @property
    def local(self) -> bool:
        """True when the project runs its own Neo4j (no external server configured)."""
        return not self.neo4j_uri

    @property
    def uri(self) -> str:
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.bolt_port}"

    def path(self, *parts: str) -> Path:
        """A path under ``$RISKGRAPH_HOME``, its parent folder created."""
        target = self.home.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target


@cache
def settings() -> Settings:
    return Settings()
