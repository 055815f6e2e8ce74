"""The customs graph in Neo4j: schema, connection, local server and constraints."""
