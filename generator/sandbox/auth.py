"""Who is calling: the token in the configured header (`Authorization: Token <t>`), or in the
configured query parameter (`?api_key=<t>`) → a user."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from apidocs.config.settings import Auth
from apidocs.sandbox.errors import ApiError
from apidocs.sandbox.timp.fixtures import User

ANONYMOUS = User("", "anonymous", None, False)


class Authenticator:
    def __init__(self, auth: Auth, users: dict[str, User], other_tokens: Iterable[str] = ()) -> None:
        """`users` come from the fixtures; `other_tokens` (the site's demo tokens, tokens of
        examples) are accepted too, as users of no organisation: they see no order."""
        self.header = auth.header
        self._key = auth.header.lower()
        self.query = auth.query
        self.scheme = auth.scheme.strip()
        self.users = dict(users)
        for token in other_tokens:
            self.users.setdefault(token, User(token, "demo user", None, False))
        self._challenge = {"WWW-Authenticate": self.scheme or "Token"}
        self._by_value = {self._value(token): user for token, user in self.users.items()}  # the usual spelling

    def _value(self, token: str) -> str:
        return f"{self.scheme} {token}" if self.scheme else token

    def example(self) -> str:
        if self.query:
            return f"?{self.query}=<token>"
        return f"{self.header}: {self._value('<token>')}" if self.header else "no credentials"

    def user(self, headers: dict[str, str], query_string: bytes = b"") -> User:
        if self.query:
            return self._user_of_query(query_string)
        if not self.header:  # an API documented without auth (e.g. imported from such a spec)
            return ANONYMOUS
        value = headers.get(self._key)
        if value is None:
            raise self._refuse(f"no {self.header} header: send `{self.example()}`")
        user = self._by_value.get(value)
        if user is not None:
            return user
        token = value.strip()
        if self.scheme:
            scheme, _, token = token.partition(" ")
            if scheme.lower() != self.scheme.lower():
                raise self._refuse(f"the {self.header} header must be `{self._value('<token>')}`")
            token = token.strip()
        user = self.users.get(token)
        if user is None:
            raise self._refuse("unknown token" if token else f"the {self.header} header has no token")
        return user

    def _user_of_query(self, query_string: bytes) -> User:
        """The user whose token is the (first) value of the API key's query parameter."""
        token = next((value for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
                      if name == self.query), None)
        if token is None:
            raise self._refuse(f"no {self.query} in the query: send `{self.example()}`")
        user = self.users.get(token.strip())
        if user is None:
            raise self._refuse("unknown token" if token.strip() else f"the {self.query} query parameter has no token")
        return user

    def _refuse(self, detail: str) -> ApiError:
        return ApiError(401, detail, self._challenge)
