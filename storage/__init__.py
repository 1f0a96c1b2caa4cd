"""All SQL lives here: the connection, migrations and one repository per aggregate."""
