"""One spec pair per rule of ``chatgate diff`` (docs/diff-rules.md), on both APIs, stream rules on the
Nara send. ``tests/diff/test_rules.py`` runs each and checks the rule, class, pointer and both lines.

A table of spec text: each edit quotes the spec's lines whole, so lines are long on purpose.
"""
# ruff: noqa: E501

from __future__ import annotations

from tests.diff.edits import Case, Needle, cut

N, V = "nara", "navigable"
SORT = 'enum: ["created_at:desc", "created_at:asc", "id:desc", "id:asc"]'
GRAMMAR = 'grammar: "message_start delta* (message_end | error)"'
EVENTS = "enum: [message_start, delta, message_end, error]"
USAGE = (
    (GRAMMAR, 'grammar: "message_start usage? delta* (message_end | error)"'),
    (EVENTS, "enum: [message_start, usage, delta, message_end, error]"),
)
NAV_POST_IDENTIFIER = cut(
    "        - name: identifier\n          in: query\n          required: false\n", "      requestBody:\n"
)
FORM_MEDIA = cut("          application/x-www-form-urlencoded:\n            schema:\n", "      responses:\n")
TEXT_500 = (
    "    InternalError:\n      description: An internal server error; try again.\n      content:\n",
    "    InternalError:\n      description: An internal server error; try again.\n      content:\n"
    "        text/plain:\n          schema:\n            type: string\n",
)
QUERY_SCHEME = (
    "  schemas:\n    SessionMessage:\n",
    "    queryAuth:\n      type: apiKey\n      in: query\n      name: api_key\n  schemas:\n    SessionMessage:\n",
)
STREAM_RULES = cut(
    "              x-chatgate-stream:\n", "              examples:\n                message_start:"
)
NARA_PAGINATION = cut("      x-chatgate-pagination:\n", "      x-chatgate-ownership:\n")
NARA_READ_BACK = cut("      x-chatgate-read-back:\n", "      tags: [chat]\n      requestBody:")
NARA_STREAM_READ_BACK = cut(
    "        - operation: listChatMessages\n", "      tags: [chat]\n      requestBody:"
)
NAV_WINDOW = cut(
    "      x-chatgate-window:\n",
    "      tags: [chat]\n      parameters:\n        - name: identifier\n"
    "          in: query\n          required: true",
)
NAV_READ_BACK = cut(
    "      x-chatgate-read-back:\n",
    "      tags: [chat]\n      parameters:\n        - name: identifier\n"
    "          in: query\n          required: false",
)
OWNERSHIP = '      x-chatgate-ownership:\n        parameter: user_id\n        status: "403"\n        item_field: /user_id\n'
DELTA_OPEN = (
    "    DeltaData:\n      type: object\n      additionalProperties: false",
    "    DeltaData:\n      type: object\n      additionalProperties: true",
)
ADD_LOGPROB = (
    "        content:\n          type: string\n          description: Text to append to the reply.\n",
    "        content:\n          type: string\n          description: Text to append to the reply.\n"
    "        logprob:\n          type: number\n",
)

CASES: tuple[Case, ...] = (
    # -- the spec files
    Case("spec.servers-changed", N, new=(("url: http://127.0.0.1:8080", "url: http://127.0.0.1:9090"),)),
    Case("spec.unclassified", V, new=(("openapi: 3.1.0", "openapi: 3.1.1"),)),
    Case("spec.version-changed", N, new=(('version: "1.0.0"', 'version: "1.1.0"'),)),
    # -- requests
    Case("request.operation.removed", N, new=(("  /api/v1.0/chat/messages:", "  /api/v1.0/chat/history:"),)),
    Case("request.operation.added", N, new=(("  /api/v1.0/chat/messages:", "  /api/v1.0/chat/history:"),)),
    Case(
        "request.operation.id-changed", N, new=(("operationId: sendChatMessage", "operationId: sendMessage"),)
    ),
    Case(
        "request.operation.deprecated",
        V,
        new=(
            (
                "      summary: Get chat session messages\n",
                "      summary: Get chat session messages\n      deprecated: true\n",
            ),
        ),
    ),
    Case("request.parameter.removed", V, new=(NAV_POST_IDENTIFIER,)),
    Case("request.parameter.added", V, old=(NAV_POST_IDENTIFIER,)),
    Case(
        "request.parameter.required-added",
        N,
        new=(
            (
                "          required: false\n          description: The number of rows",
                "          required: true\n          description: The number of rows",
            ),
        ),
    ),
    Case(
        "request.parameter.required-removed",
        N,
        new=(
            (
                "          required: true\n          description: The ID of the user",
                "          required: false\n          description: The ID of the user",
            ),
        ),
    ),
    Case(
        "request.parameter.form-removed",
        V,
        new=(
            (
                "x-chatgate-body-forms: [application/json, application/x-www-form-urlencoded]",
                "x-chatgate-body-forms: [application/json]",
            ),
        ),
    ),
    Case(
        "request.parameter.form-added",
        V,
        old=(
            (
                "x-chatgate-body-forms: [application/json, application/x-www-form-urlencoded]",
                "x-chatgate-body-forms: [application/json]",
            ),
        ),
    ),
    Case(
        "request.body.required-added",
        N,
        old=(("      requestBody:\n        required: true", "      requestBody:\n        required: false"),),
    ),
    Case(
        "request.body.required-removed",
        N,
        new=(("      requestBody:\n        required: true", "      requestBody:\n        required: false"),),
    ),
    Case("request.body.media-type-removed", V, new=(FORM_MEDIA,)),
    Case("request.body.media-type-added", V, old=(FORM_MEDIA,)),
    Case(
        "request.body.field-removed",
        N,
        new=(cut("        temperature:\n          type: number\n", "    ChatMessage:\n"),),
    ),
    Case(
        "request.body.field-ignored",
        V,
        new=(cut("        markdown:\n          const: true\n", "        currentPage:\n"),),
    ),
    Case(
        "request.body.field-added",
        N,
        new=(
            (
                "        temperature:\n          type: number\n",
                "        seed:\n          type: integer\n        temperature:\n          type: number\n",
            ),
        ),
    ),
    Case(
        "request.body.field-required-added",
        N,
        new=(
            (
                "      required: [message, conversation_id]\n",
                "      required: [message, conversation_id, temperature]\n",
            ),
        ),
    ),
    Case(
        "request.body.field-required-removed",
        V,
        new=(
            (
                "      description: A message to send.\n      required: [message]\n",
                "      description: A message to send.\n      required: []\n",
            ),
        ),
    ),
    Case(
        "request.schema.type-changed",
        N,
        new=(
            (
                "        temperature:\n          type: number\n",
                "        temperature:\n          type: string\n",
            ),
        ),
    ),
    Case(
        "request.schema.type-widened",
        N,
        new=(
            (
                "        temperature:\n          type: number\n",
                '        temperature:\n          type: [number, "null"]\n',
            ),
        ),
    ),
    Case(
        "request.schema.enum-narrowed",
        V,
        new=(
            (
                "          maxLength: 256\n          description: The page the user is on.",
                "          maxLength: 256\n          enum: [home, settings]\n          description: The page the user is on.",
            ),
        ),
    ),
    Case(
        "request.schema.enum-widened",
        V,
        new=(("        new:\n          const: true\n", "        new:\n          enum: [true, false]\n"),),
    ),
    Case("request.schema.limit-tightened", N, new=(("maxLength: 16000", "maxLength: 8000"),)),
    Case(
        "request.schema.limit-loosened",
        V,
        new=(
            (
                "          maxItems: 50\n          items:\n            type: string\n            maxLength: 256\n          description: Action names",
                "          maxItems: 100\n          items:\n            type: string\n            maxLength: 256\n          description: Action names",
            ),
        ),
    ),
    Case(
        "request.schema.closed",
        V,
        new=(
            (
                "      description: A message to send.\n      required: [message]\n",
                "      description: A message to send.\n      required: [message]\n      additionalProperties: false\n",
            ),
        ),
    ),
    Case(
        "request.schema.opened",
        N,
        new=(
            (
                "      description: A message to send.\n      additionalProperties: false\n",
                "      description: A message to send.\n      additionalProperties: true\n",
            ),
        ),
    ),
    Case(
        "request.schema.default-changed", N, new=(("            default: 20\n", "            default: 50\n"),)
    ),
    Case(
        "request.security.scheme-removed",
        V,
        new=(("security:\n  - apiKeyAuth: []", "security:\n  - queryAuth: []"), QUERY_SCHEME),
    ),
    Case("request.security.scheme-changed", V, new=(("name: X-Api-Key", "name: X-Key"),)),
    Case(
        "request.security.scheme-added",
        V,
        new=(
            ("security:\n  - apiKeyAuth: []", "security:\n  - apiKeyAuth: []\n  - queryAuth: []"),
            QUERY_SCHEME,
        ),
    ),
    Case(
        "request.security.required",
        V,
        old=(("security:\n  - apiKeyAuth: []", "security:\n  - apiKeyAuth: []\n  - {}"),),
    ),
    Case(
        "request.security.optional",
        V,
        new=(("security:\n  - apiKeyAuth: []", "security:\n  - apiKeyAuth: []\n  - {}"),),
    ),
    # -- responses
    Case(
        "response.status.removed",
        N,
        new=(('        "415":\n          $ref: "#/components/responses/UnsupportedMediaType"\n', ""),),
    ),
    Case(
        "response.status.added",
        N,
        old=(('        "415":\n          $ref: "#/components/responses/UnsupportedMediaType"\n', ""),),
    ),
    Case("response.media-type.removed", V, old=(TEXT_500,)),
    Case("response.media-type.added", V, new=(TEXT_500,)),
    Case(
        "response.header.removed",
        N,
        new=(
            ('      headers:\n        Retry-After:\n          $ref: "#/components/headers/RetryAfter"\n', ""),
        ),
    ),
    Case(
        "response.header.added",
        V,
        old=(
            ('      headers:\n        Retry-After:\n          $ref: "#/components/headers/RetryAfter"\n', ""),
        ),
    ),
    Case(
        "response.schema.field-removed",
        N,
        new=(
            (
                "        conversation_id:\n          type: string\n          description: The conversation the message belongs to.\n",
                "",
            ),
        ),
    ),
    Case(
        "response.schema.field-optional",
        N,
        new=(
            (
                "required: [id, conversation_id, user_id, role, content, created_at]",
                "required: [id, user_id, role, content, created_at]",
            ),
        ),
    ),
    Case(
        "response.schema.type-changed",
        N,
        new=(
            (
                "        id:\n          type: integer\n          minimum: 1\n          description: Unique message id",
                "        id:\n          type: string\n          minimum: 1\n          description: Unique message id",
            ),
        ),
    ),
    Case(
        "response.schema.type-narrowed",
        V,
        new=(
            (
                '        action:\n          type: [string, "null"]\n          description: The action recommended by the assistant.\n',
                "        action:\n          type: string\n          description: The action recommended by the assistant.\n",
            ),
        ),
    ),
    Case(
        "response.schema.enum-widened",
        N,
        new=(("enum: [user, assistant]", "enum: [user, assistant, system]"),),
    ),
    Case("response.schema.enum-narrowed", V, new=(("enum: [USER, ASSISTANT]", "enum: [USER]"),)),
    Case(
        "response.schema.limit-loosened",
        N,
        new=(
            (
                "          maximum: 100\n          description: The page size used",
                "          maximum: 200\n          description: The page size used",
            ),
        ),
    ),
    Case(
        "response.schema.limit-tightened",
        N,
        new=(
            (
                "        total_rows:\n          type: integer\n          minimum: 0",
                "        total_rows:\n          type: integer\n          minimum: 1",
            ),
        ),
    ),
    Case(
        "response.schema.opened",
        N,
        new=(
            (
                "the assistant's.\n      additionalProperties: false\n",
                "the assistant's.\n      additionalProperties: true\n",
            ),
        ),
    ),
    Case(
        "response.schema.closed",
        V,
        new=(
            (
                "      description: One message of a chat session.\n",
                "      description: One message of a chat session.\n      additionalProperties: false\n",
            ),
        ),
    ),
    Case(
        "response.schema.field-added-strict",
        N,
        new=(
            (
                "          description: When the message was stored, RFC 3339 in UTC.\n",
                "          description: When the message was stored, RFC 3339 in UTC.\n        model:\n          type: string\n",
            ),
        ),
    ),
    Case(
        "response.schema.field-added",
        V,
        new=(
            (
                "      description: The documented success envelope with the session's messages.\n      required: [success, message, data]\n      properties:\n",
                "      description: The documented success envelope with the session's messages.\n      required: [success, message, data]\n      properties:\n        total:\n          type: integer\n",
            ),
        ),
    ),
    Case(
        "response.schema.field-required",
        V,
        new=(
            (
                "required: [sender, content, new, createdAt, action]",
                "required: [sender, content, new, createdAt, action, toolCalls]",
            ),
        ),
    ),
    # -- streams (the Nara send)
    Case("stream.removed", N, new=(STREAM_RULES,)),
    Case("stream.added", N, old=(STREAM_RULES,)),
    Case(
        "stream.event.removed",
        N,
        new=(
            (GRAMMAR, 'grammar: "message_start delta* error"'),
            (EVENTS, "enum: [message_start, delta, error]"),
        ),
    ),
    Case(
        "stream.event.renamed",
        N,
        new=(
            (GRAMMAR, 'grammar: "message_begin delta* (message_end | error)"'),
            (EVENTS, "enum: [message_begin, delta, message_end, error]"),
            ("const: message_start", "const: message_begin"),
            ("$stream.event.message_start#", "$stream.event.message_begin#"),
            ("$stream.event.message_start#", "$stream.event.message_begin#"),
        ),
    ),
    Case("stream.event.added", N, new=USAGE),
    Case(
        "stream.event.added-ignorable",
        N,
        old=(("unknown_events: reject", "unknown_events: ignore"),),
        new=(*USAGE, ("unknown_events: reject", "unknown_events: ignore")),
    ),
    Case(
        "stream.grammar.changed", N, new=((GRAMMAR, 'grammar: "delta* message_start (message_end | error)"'),)
    ),
    Case(
        "stream.grammar.narrowed",
        N,
        new=((GRAMMAR, 'grammar: "message_start delta+ (message_end | error)"'),),
    ),
    Case(
        "stream.content.changed",
        N,
        new=(
            (
                "content: {event: delta, field: content, index: index}",
                "content: {event: delta, field: content}",
            ),
        ),
    ),
    Case("stream.error-event.changed", N, new=(("                error_event: error\n", ""),)),
    Case("stream.link-field.changed", N, new=(("                link_field: message_id\n", ""),)),
    Case(
        "stream.select.changed",
        N,
        new=(("select: {field: stream, value: true}", "select: {field: stream, value: false}"),),
    ),
    Case("stream.unknown-events.relaxed", N, new=(("unknown_events: reject", "unknown_events: ignore"),)),
    Case("stream.unknown-events.strict", N, old=(("unknown_events: reject", "unknown_events: ignore"),)),
    Case(
        "stream.liveness.loosened",
        N,
        new=(("liveness: {idle: 30s, total: 300s}", "liveness: {idle: 60s, total: 300s}"),),
    ),
    Case(
        "stream.liveness.tightened",
        N,
        new=(("liveness: {idle: 30s, total: 300s}", "liveness: {idle: 30s, total: 120s}"),),
    ),
    Case(
        "stream.data.field-removed",
        N,
        new=(
            (
                "        conversation_id:\n          type: string\n          description: The request's `conversation_id`.\n",
                "",
            ),
        ),
    ),
    Case(
        "stream.data.field-optional",
        N,
        new=(
            (
                "required: [type, message_id, user_message_id, conversation_id]",
                "required: [type, message_id, user_message_id]",
            ),
        ),
    ),
    Case(
        "stream.data.field-required",
        N,
        old=(
            (
                "required: [type, message_id, user_message_id, conversation_id]",
                "required: [type, message_id, user_message_id]",
            ),
        ),
    ),
    Case(
        "stream.data.type-changed",
        N,
        new=(
            (
                "        message_id:\n          type: integer\n          minimum: 1\n          description: Id of the full",
                "        message_id:\n          type: string\n          minimum: 1\n          description: Id of the full",
            ),
        ),
    ),
    Case(
        "stream.data.type-narrowed",
        N,
        old=(
            (
                "        message_id:\n          type: integer\n          minimum: 1\n          description: Id of the full",
                '        message_id:\n          type: [integer, "null"]\n          minimum: 1\n          description: Id of the full',
            ),
        ),
    ),
    Case("stream.data.enum-widened", N, new=(("enum: [stop, length]", "enum: [stop, length, tool_calls]"),)),
    Case("stream.data.enum-narrowed", N, new=(("enum: [stop, length]", "enum: [stop]"),)),
    Case(
        "stream.data.limit-loosened",
        N,
        new=(
            (
                "          minimum: 0\n          description: Position of this delta",
                "          minimum: -1\n          description: Position of this delta",
            ),
        ),
    ),
    Case(
        "stream.data.limit-tightened",
        N,
        new=(
            (
                "          minimum: 0\n          description: Position of this delta",
                "          minimum: 1\n          description: Position of this delta",
            ),
        ),
    ),
    Case("stream.data.opened", N, new=(DELTA_OPEN,)),
    Case("stream.data.closed", N, old=(DELTA_OPEN,)),
    Case("stream.data.field-added-strict", N, new=(ADD_LOGPROB,)),
    Case("stream.data.field-added", N, old=(DELTA_OPEN,), new=(DELTA_OPEN, ADD_LOGPROB)),
    # -- chatgate's rules
    Case("rule.pagination.removed", N, new=(NARA_PAGINATION, NARA_READ_BACK)),
    Case("rule.pagination.added", N, old=(NARA_PAGINATION, NARA_READ_BACK)),
    Case(
        "rule.pagination.sort-value-removed",
        N,
        new=((SORT, 'enum: ["created_at:desc", "created_at:asc", "id:desc"]'),),
    ),
    Case(
        "rule.pagination.sort-value-added",
        N,
        old=((SORT, 'enum: ["created_at:desc", "created_at:asc", "id:desc"]'),),
    ),
    Case("rule.pagination.changed", N, new=(("late_rows: true", "late_rows: false"),)),
    Case("rule.ownership.removed", N, new=((OWNERSHIP, ""),)),
    Case("rule.ownership.added", N, old=((OWNERSHIP, ""),)),
    Case(
        "rule.ownership.changed",
        N,
        new=(('        status: "403"\n        item_field', '        status: "401"\n        item_field'),),
    ),
    Case(
        "rule.identity.changed",
        N,
        new=(("        schema: {type: integer, minimum: 1}", "        schema: {type: string}"),),
    ),
    Case("rule.window.removed", V, new=(NAV_WINDOW, NAV_READ_BACK)),
    Case("rule.window.added", V, old=(NAV_WINDOW, NAV_READ_BACK)),
    Case("rule.window.changed", V, new=(("maxItems: 20\n", "maxItems: 30\n"),)),
    Case("rule.read-back.removed", N, new=(NARA_STREAM_READ_BACK,)),
    Case("rule.read-back.added", N, old=(NARA_STREAM_READ_BACK,)),
    Case("rule.read-back.changed", V, new=(("          in_order: true\n", "          in_order: false\n"),)),
    Case("rule.field-errors.changed", V, new=(("      x-chatgate-field-errors: /errors\n", ""),)),
    # -- documentation
    Case(
        "docs.changed",
        N,
        new=(("description: The chat message you want to send.", "description: The message to send."),),
    ),
)


# Where each case's change stands: the item's pointer, and the line on each side (generated from a
# run, each checked by hand).
EXPECTED: dict[str, tuple[str, Needle, Needle]] = {
    "spec.servers-changed[nara]": ("/servers", Needle("servers:"), Needle("servers:")),
    "spec.unclassified[navigable]": ("/openapi", Needle("openapi: 3.1.0"), Needle("openapi: 3.1.1")),
    "spec.version-changed[nara]": ("/info/version", Needle('version: "1.0.0"'), Needle('version: "1.1.0"')),
    "request.operation.removed[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get",
        Needle("get:"),
        Needle("paths:"),
    ),
    "request.operation.added[nara]": (
        "/paths/~1api~1v1.0~1chat~1history/get",
        Needle("paths:"),
        Needle("get:"),
    ),
    "request.operation.id-changed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/operationId",
        Needle("operationId: sendChatMessage"),
        Needle("operationId: sendMessage"),
    ),
    "request.operation.deprecated[navigable]": (
        "/paths/~1api~1v1~1chat/get/deprecated",
        Needle("get:"),
        Needle("deprecated: true"),
    ),
    "request.parameter.removed[navigable]": (
        "/paths/~1api~1v1~1chat/post/parameters/0",
        Needle(
            "- name: identifier",
            after='- equal: {sender: ASSISTANT, content: "$response.body#/data/assistantMessage"}',
        ),
        Needle("post:"),
    ),
    "request.parameter.added[navigable]": (
        "/paths/~1api~1v1~1chat/post/parameters/0",
        Needle("post:"),
        Needle(
            "- name: identifier",
            after='- equal: {sender: ASSISTANT, content: "$response.body#/data/assistantMessage"}',
        ),
    ),
    "request.parameter.required-added[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/parameters/1/required",
        Needle("required: false"),
        Needle("required: true", after="- name: rows_per_page"),
    ),
    "request.parameter.required-removed[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/parameters/0/required",
        Needle("required: true", after="- name: user_id"),
        Needle("required: false"),
    ),
    "request.parameter.form-removed[navigable]": (
        "/paths/~1api~1v1~1chat/get/parameters/0/x-chatgate-body-forms",
        Needle("x-chatgate-body-forms: [application/json, application/x-www-form-urlencoded]"),
        Needle("- name: identifier"),
    ),
    "request.parameter.form-added[navigable]": (
        "/paths/~1api~1v1~1chat/get/parameters/0/x-chatgate-body-forms",
        Needle("- name: identifier"),
        Needle("x-chatgate-body-forms: [application/json, application/x-www-form-urlencoded]"),
    ),
    "request.body.required-added[nara]": (
        "/paths/~1api~1v1.0~1chat/post/requestBody",
        Needle("requestBody:"),
        Needle("requestBody:"),
    ),
    "request.body.required-removed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/requestBody",
        Needle("requestBody:"),
        Needle("requestBody:"),
    ),
    "request.body.media-type-removed[navigable]": (
        "/paths/~1api~1v1~1chat/post/requestBody/content/application~1x-www-form-urlencoded",
        Needle("application/x-www-form-urlencoded:"),
        Needle("requestBody:"),
    ),
    "request.body.media-type-added[navigable]": (
        "/paths/~1api~1v1~1chat/post/requestBody/content/application~1x-www-form-urlencoded",
        Needle("requestBody:"),
        Needle("application/x-www-form-urlencoded:"),
    ),
    "request.body.field-removed[nara]": (
        "/components/schemas/ChatRequest/properties/temperature",
        Needle(
            "temperature:",
            after="description: Set this to true if you want the conversation to be streamed. Default is false.",
        ),
        Needle("properties:"),
    ),
    "request.body.field-ignored[navigable]": (
        "/components/schemas/SendMessageRequest/properties/markdown",
        Needle("markdown:"),
        Needle("properties:", after="description: A message to send."),
    ),
    "request.body.field-added[nara]": (
        "/components/schemas/ChatRequest/properties/seed",
        Needle("properties:"),
        Needle("seed:"),
    ),
    "request.body.field-required-added[nara]": (
        "/components/schemas/ChatRequest/required/2",
        Needle("required: [message, conversation_id]"),
        Needle("required: [message, conversation_id, temperature]"),
    ),
    "request.body.field-required-removed[navigable]": (
        "/components/schemas/SendMessageRequest/required/0",
        Needle("required: [message]"),
        Needle("required: []"),
    ),
    "request.schema.type-changed[nara]": (
        "/components/schemas/ChatRequest/properties/temperature/type",
        Needle("type: number"),
        Needle(
            "type: string",
            after="description: Set this to true if you want the conversation to be streamed. Default is false.",
        ),
    ),
    "request.schema.type-widened[nara]": (
        "/components/schemas/ChatRequest/properties/temperature/type",
        Needle("type: number"),
        Needle('type: [number, "null"]'),
    ),
    "request.schema.enum-narrowed[navigable]": (
        "/components/schemas/SendMessageRequest/properties/currentPage/enum",
        Needle("currentPage:"),
        Needle("enum: [home, settings]"),
    ),
    "request.schema.enum-widened[navigable]": (
        "/components/schemas/SendMessageRequest/properties/new/enum/1",
        Needle("const: true", after="x-chatgate-role: message"),
        Needle("enum: [true, false]"),
    ),
    "request.schema.limit-tightened[nara]": (
        "/components/schemas/ChatRequest/properties/message/maxLength",
        Needle("maxLength: 16000"),
        Needle("maxLength: 8000"),
    ),
    "request.schema.limit-loosened[navigable]": (
        "/components/schemas/SendMessageRequest/properties/configuredActions/maxItems",
        Needle("maxItems: 50"),
        Needle("maxItems: 100"),
    ),
    "request.schema.closed[navigable]": (
        "/components/schemas/SendMessageRequest/additionalProperties",
        Needle("SendMessageRequest:"),
        Needle("additionalProperties: false"),
    ),
    "request.schema.opened[nara]": (
        "/components/schemas/ChatRequest/additionalProperties",
        Needle("additionalProperties: false"),
        Needle("additionalProperties: true"),
    ),
    "request.schema.default-changed[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/parameters/1/schema/default",
        Needle("default: 20"),
        Needle("default: 50"),
    ),
    "request.security.scheme-removed[navigable]": (
        "/components/securitySchemes/apiKeyAuth",
        Needle("apiKeyAuth:", after="securitySchemes:"),
        Needle("security:"),
    ),
    "request.security.scheme-changed[navigable]": (
        "/components/securitySchemes/apiKeyAuth",
        Needle("apiKeyAuth:", after="securitySchemes:"),
        Needle("apiKeyAuth:", after="securitySchemes:"),
    ),
    "request.security.scheme-added[navigable]": (
        "/components/securitySchemes/queryAuth",
        Needle("security:"),
        Needle(
            "queryAuth:",
            after="`Authorization`, or in the query string, is refused with a 401 in the vendor's envelope.",
        ),
    ),
    "request.security.required[navigable]": ("/security", Needle("security:"), Needle("security:")),
    "request.security.optional[navigable]": ("/security", Needle("security:"), Needle("security:")),
    "response.status.removed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/415",
        Needle('"415":'),
        Needle("responses:"),
    ),
    "response.status.added[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/415",
        Needle("responses:"),
        Needle('"415":'),
    ),
    "response.media-type.removed[navigable]": (
        "/components/responses/InternalError/content/text~1plain",
        Needle("text/plain:"),
        Needle("content:", after="description: An internal server error; try again."),
    ),
    "response.media-type.added[navigable]": (
        "/components/responses/InternalError/content/text~1plain",
        Needle("content:", after="description: An internal server error; try again."),
        Needle("text/plain:"),
    ),
    "response.header.removed[nara]": (
        "/components/responses/TooManyRequests/headers/Retry-After",
        Needle("Retry-After:"),
        Needle("TooManyRequests:"),
    ),
    "response.header.added[navigable]": (
        "/components/responses/TooManyRequests/headers/Retry-After",
        Needle("TooManyRequests:"),
        Needle("Retry-After:"),
    ),
    "response.schema.field-removed[nara]": (
        "/components/schemas/ChatMessage/properties/conversation_id",
        Needle("conversation_id:", after="description: Unique message id, increasing in creation order."),
        Needle(
            "properties:",
            after="user, a role, the content and an RFC 3339 creation time are what a chat listing needs.",
        ),
    ),
    "response.schema.field-optional[nara]": (
        "/components/schemas/ChatMessage/required/1",
        Needle("required: [id, conversation_id, user_id, role, content, created_at]"),
        Needle("required: [id, user_id, role, content, created_at]"),
    ),
    "response.schema.type-changed[nara]": (
        "/components/schemas/ChatMessage/properties/id/type",
        Needle(
            "type: integer",
            after="user, a role, the content and an RFC 3339 creation time are what a chat listing needs.",
        ),
        Needle(
            "type: string",
            after="user, a role, the content and an RFC 3339 creation time are what a chat listing needs.",
        ),
    ),
    "response.schema.type-narrowed[navigable]": (
        "/components/schemas/SessionMessage/properties/action/type",
        Needle('type: [string, "null"]'),
        Needle("type: string", after='x-chatgate-assumption: RFC 3339 (the vendor says only "timestamp").'),
    ),
    "response.schema.enum-widened[nara]": (
        "/components/schemas/ChatMessage/properties/role/enum/2",
        Needle("enum: [user, assistant]"),
        Needle("enum: [user, assistant, system]"),
    ),
    "response.schema.enum-narrowed[navigable]": (
        "/components/schemas/SessionMessage/properties/sender/enum/1",
        Needle("enum: [USER, ASSISTANT]"),
        Needle("enum: [USER]"),
    ),
    "response.schema.limit-loosened[nara]": (
        "/components/schemas/Pagination/properties/rows_per_page/maximum",
        Needle("maximum: 100", after="description: The page returned (the request's `current_page`)."),
        Needle("maximum: 200"),
    ),
    "response.schema.limit-tightened[nara]": (
        "/components/schemas/Pagination/properties/total_rows/minimum",
        Needle("minimum: 0", after="description: The page size used (the request's `rows_per_page`)."),
        Needle("minimum: 1", after="description: The page size used (the request's `rows_per_page`)."),
    ),
    "response.schema.opened[nara]": (
        "/components/schemas/ChatMessage/additionalProperties",
        Needle(
            "additionalProperties: false",
            after="description: One stored message, the user's or the assistant's.",
        ),
        Needle("additionalProperties: true"),
    ),
    "response.schema.closed[navigable]": (
        "/components/schemas/SessionMessage/additionalProperties",
        Needle("SessionMessage:"),
        Needle("additionalProperties: false"),
    ),
    "response.schema.field-added-strict[nara]": (
        "/components/schemas/ChatMessage/properties/model",
        Needle(
            "properties:",
            after="user, a role, the content and an RFC 3339 creation time are what a chat listing needs.",
        ),
        Needle("model:"),
    ),
    "response.schema.field-added[navigable]": (
        "/components/schemas/SessionMessagesResponse/properties/total",
        Needle(
            "properties:", after="description: The documented success envelope with the session's messages."
        ),
        Needle("total:"),
    ),
    "response.schema.field-required[navigable]": (
        "/components/schemas/SessionMessage/required/5",
        Needle("required: [sender, content, new, createdAt, action]"),
        Needle("required: [sender, content, new, createdAt, action, toolCalls]"),
    ),
    "stream.removed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream",
        Needle("x-chatgate-stream:"),
        Needle("text/event-stream:"),
    ),
    "stream.added[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream",
        Needle("text/event-stream:"),
        Needle("x-chatgate-stream:"),
    ),
    "stream.event.removed[nara]": (
        "/components/schemas/ChatStreamEvent/properties/event/enum/2",
        Needle("enum: [message_start, delta, message_end, error]"),
        Needle("enum: [message_start, delta, error]"),
    ),
    "stream.event.renamed[nara]": (
        "/components/schemas/ChatStreamEvent/properties/event/enum/0",
        Needle("enum: [message_start, delta, message_end, error]"),
        Needle("enum: [message_begin, delta, message_end, error]"),
    ),
    "stream.event.added[nara]": (
        "/components/schemas/ChatStreamEvent/properties/event/enum/1",
        Needle("enum: [message_start, delta, message_end, error]"),
        Needle("enum: [message_start, usage, delta, message_end, error]"),
    ),
    "stream.event.added-ignorable[nara]": (
        "/components/schemas/ChatStreamEvent/properties/event/enum/1",
        Needle("enum: [message_start, delta, message_end, error]"),
        Needle("enum: [message_start, usage, delta, message_end, error]"),
    ),
    "stream.grammar.changed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream/grammar",
        Needle('grammar: "message_start delta* (message_end | error)"'),
        Needle('grammar: "delta* message_start (message_end | error)"'),
    ),
    "stream.grammar.narrowed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream/grammar",
        Needle('grammar: "message_start delta* (message_end | error)"'),
        Needle('grammar: "message_start delta+ (message_end | error)"'),
    ),
    "stream.content.changed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream/content",
        Needle("content: {event: delta, field: content, index: index}"),
        Needle("content: {event: delta, field: content}"),
    ),
    "stream.error-event.changed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream/error_event",
        Needle("error_event: error"),
        Needle("x-chatgate-stream:"),
    ),
    "stream.link-field.changed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream/link_field",
        Needle("link_field: message_id"),
        Needle("x-chatgate-stream:"),
    ),
    "stream.select.changed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream/select",
        Needle("select: {field: stream, value: true}"),
        Needle("select: {field: stream, value: false}"),
    ),
    "stream.unknown-events.relaxed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream/unknown_events",
        Needle("unknown_events: reject"),
        Needle("unknown_events: ignore"),
    ),
    "stream.unknown-events.strict[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream/unknown_events",
        Needle("unknown_events: ignore"),
        Needle("unknown_events: reject"),
    ),
    "stream.liveness.loosened[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream/liveness",
        Needle("liveness: {idle: 30s, total: 300s}"),
        Needle("liveness: {idle: 60s, total: 300s}"),
    ),
    "stream.liveness.tightened[nara]": (
        "/paths/~1api~1v1.0~1chat/post/responses/200/content/text~1event-stream/x-chatgate-stream/liveness",
        Needle("liveness: {idle: 30s, total: 300s}"),
        Needle("liveness: {idle: 30s, total: 120s}"),
    ),
    "stream.data.field-removed[nara]": (
        "/components/schemas/MessageStartData/properties/conversation_id",
        Needle("conversation_id:", after="description: Id the user's message was stored under."),
        Needle("properties:", after="description: Opens the stream and names the stored messages."),
    ),
    "stream.data.field-optional[nara]": (
        "/components/schemas/MessageStartData/required/3",
        Needle("required: [type, message_id, user_message_id, conversation_id]"),
        Needle("required: [type, message_id, user_message_id]"),
    ),
    "stream.data.field-required[nara]": (
        "/components/schemas/MessageStartData/required/3",
        Needle("required: [type, message_id, user_message_id]"),
        Needle("required: [type, message_id, user_message_id, conversation_id]"),
    ),
    "stream.data.type-changed[nara]": (
        "/components/schemas/MessageEndData/properties/message_id/type",
        Needle("type: integer", after="description: Always `message_end`."),
        Needle("type: string", after="description: Always `message_end`."),
    ),
    "stream.data.type-narrowed[nara]": (
        "/components/schemas/MessageEndData/properties/message_id/type",
        Needle('type: [integer, "null"]'),
        Needle("type: integer", after="description: Always `message_end`."),
    ),
    "stream.data.enum-widened[nara]": (
        "/components/schemas/MessageEndData/properties/finish_reason/enum/2",
        Needle("enum: [stop, length]"),
        Needle("enum: [stop, length, tool_calls]"),
    ),
    "stream.data.enum-narrowed[nara]": (
        "/components/schemas/MessageEndData/properties/finish_reason/enum/1",
        Needle("enum: [stop, length]"),
        Needle("enum: [stop]"),
    ),
    "stream.data.limit-loosened[nara]": (
        "/components/schemas/DeltaData/properties/index/minimum",
        Needle("minimum: 0", after="description: Always `delta`."),
        Needle("minimum: -1"),
    ),
    "stream.data.limit-tightened[nara]": (
        "/components/schemas/DeltaData/properties/index/minimum",
        Needle("minimum: 0", after="description: Always `delta`."),
        Needle("minimum: 1", after="description: Always `delta`."),
    ),
    "stream.data.opened[nara]": (
        "/components/schemas/DeltaData/additionalProperties",
        Needle("additionalProperties: false", after="DeltaData:"),
        Needle("additionalProperties: true"),
    ),
    "stream.data.closed[nara]": (
        "/components/schemas/DeltaData/additionalProperties",
        Needle("additionalProperties: true"),
        Needle("additionalProperties: false", after="DeltaData:"),
    ),
    "stream.data.field-added-strict[nara]": (
        "/components/schemas/DeltaData/properties/logprob",
        Needle("properties:", after="description: The next piece of the reply's content."),
        Needle("logprob:"),
    ),
    "stream.data.field-added[nara]": (
        "/components/schemas/DeltaData/properties/logprob",
        Needle("properties:", after="description: The next piece of the reply's content."),
        Needle("logprob:"),
    ),
    "rule.pagination.removed[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/x-chatgate-pagination",
        Needle("x-chatgate-pagination:"),
        Needle("get:"),
    ),
    "rule.pagination.added[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/x-chatgate-pagination",
        Needle("get:"),
        Needle("x-chatgate-pagination:"),
    ),
    "rule.pagination.sort-value-removed[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/parameters/3/schema/enum/3",
        Needle('enum: ["created_at:desc", "created_at:asc", "id:desc", "id:asc"]'),
        Needle('enum: ["created_at:desc", "created_at:asc", "id:desc"]'),
    ),
    "rule.pagination.sort-value-added[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/parameters/3/schema/enum/3",
        Needle('enum: ["created_at:desc", "created_at:asc", "id:desc"]'),
        Needle('enum: ["created_at:desc", "created_at:asc", "id:desc", "id:asc"]'),
    ),
    "rule.pagination.changed[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/x-chatgate-pagination/late_rows",
        Needle("late_rows: true"),
        Needle("late_rows: false"),
    ),
    "rule.ownership.removed[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/x-chatgate-ownership",
        Needle("x-chatgate-ownership:"),
        Needle("get:"),
    ),
    "rule.ownership.added[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/x-chatgate-ownership",
        Needle("get:"),
        Needle("x-chatgate-ownership:"),
    ),
    "rule.ownership.changed[nara]": (
        "/paths/~1api~1v1.0~1chat~1messages/get/x-chatgate-ownership/status",
        Needle('status: "403"'),
        Needle('status: "401"'),
    ),
    "rule.identity.changed[nara]": (
        "/components/securitySchemes/bearerAuth/x-chatgate-identity",
        Needle("x-chatgate-identity:"),
        Needle("x-chatgate-identity:"),
    ),
    "rule.window.removed[navigable]": (
        "/paths/~1api~1v1~1chat/get/x-chatgate-window",
        Needle("x-chatgate-window:"),
        Needle("get:"),
    ),
    "rule.window.added[navigable]": (
        "/paths/~1api~1v1~1chat/get/x-chatgate-window",
        Needle("get:"),
        Needle("x-chatgate-window:"),
    ),
    "rule.window.changed[navigable]": (
        "/paths/~1api~1v1~1chat/get/x-chatgate-window/items",
        Needle("items: /data"),
        Needle("items: /data"),
    ),
    "rule.read-back.removed[nara]": (
        "/paths/~1api~1v1.0~1chat/post/x-chatgate-read-back/1",
        Needle("- operation: listChatMessages"),
        Needle("x-chatgate-read-back:"),
    ),
    "rule.read-back.added[nara]": (
        "/paths/~1api~1v1.0~1chat/post/x-chatgate-read-back/1",
        Needle("x-chatgate-read-back:"),
        Needle("- operation: listChatMessages"),
    ),
    "rule.read-back.changed[navigable]": (
        "/paths/~1api~1v1~1chat/post/x-chatgate-read-back/0",
        Needle("- link: ReadSessionMessages"),
        Needle("- link: ReadSessionMessages"),
    ),
    "rule.field-errors.changed[navigable]": (
        "/components/responses/BadRequest/x-chatgate-field-errors",
        Needle("x-chatgate-field-errors: /errors"),
        Needle("BadRequest:"),
    ),
    "docs.changed[nara]": (
        "/components/schemas/ChatRequest/properties/message/description",
        Needle("description: The chat message you want to send."),
        Needle("description: The message to send."),
    ),
}
