-- Release 1's schema and two conversations, dumped by pg_dump from a database written by
-- streamlit-agent's schema-1 store (commit a2d561a); the migration test loads it.
CREATE TABLE conversations (
    id character varying(64) NOT NULL,
    title text NOT NULL,
    model text,
    tools text,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL
);
CREATE TABLE messages (
    conversation_id character varying(64) NOT NULL,
    id character varying(64) NOT NULL,
    seq integer NOT NULL,
    role character varying(16) NOT NULL,
    content text NOT NULL,
    payload text NOT NULL,
    status character varying(16),
    model text,
    usage text,
    feedback integer,
    created_at double precision NOT NULL
);
CREATE TABLE schema_version (
    version integer NOT NULL,
    applied_at double precision NOT NULL
);
CREATE TABLE steps (
    conversation_id character varying(64) NOT NULL,
    message_id character varying(64) NOT NULL,
    call_id text NOT NULL,
    tool text NOT NULL,
    input text NOT NULL,
    output text NOT NULL,
    error text,
    status character varying(16) NOT NULL,
    duration_s double precision,
    created_at double precision NOT NULL
);
INSERT INTO conversations VALUES ('v1-thread-a', 'What is 6 * 7?', 'OpenAI gpt-test', NULL, 1795964331.2662919, 1795964331.2662919);
INSERT INTO conversations VALUES ('v1-thread-b', 'My name is Ada', 'OpenAI gpt-test', '{"web_search": false}', 1795964331.2772646, 1795964331.2772646);
INSERT INTO messages VALUES ('v1-thread-a', 'a1', 1, 'user', 'What is 6 * 7?', '{"type": "human", "data": {"content": "What is 6 * 7?", "additional_kwargs": {}, "response_metadata": {}, "type": "human", "name": null, "id": "a1"}}', NULL, NULL, NULL, NULL, 1795964331.2662919);
INSERT INTO messages VALUES ('v1-thread-a', 'a2', 2, 'assistant', '', '{"type": "ai", "data": {"content": "", "additional_kwargs": {}, "response_metadata": {}, "type": "ai", "name": null, "id": "a2", "tool_calls": [{"name": "calculator", "args": {"expression": "6 * 7"}, "id": "call_a", "type": "tool_call"}], "invalid_tool_calls": [], "usage_metadata": null}}', NULL, NULL, NULL, NULL, 1795964331.2662919);
INSERT INTO messages VALUES ('v1-thread-a', 'a3', 3, 'tool', '42', '{"type": "tool", "data": {"content": "42", "additional_kwargs": {}, "response_metadata": {"step_status": "ok", "error": null, "duration_s": 0.01}, "type": "tool", "name": "calculator", "id": "a3", "tool_call_id": "call_a", "artifact": null, "status": "success"}}', 'ok', NULL, NULL, NULL, 1795964331.2662919);
INSERT INTO messages VALUES ('v1-thread-a', 'a4', 4, 'assistant', 'The calculator returned: 42.', '{"type": "ai", "data": {"content": "The calculator returned: 42.", "additional_kwargs": {}, "response_metadata": {"status": "complete", "usage": {"total_tokens": 30}}, "type": "ai", "name": null, "id": "a4", "tool_calls": [], "invalid_tool_calls": [], "usage_metadata": null}}', 'complete', NULL, '{"total_tokens": 30}', NULL, 1795964331.2662919);
INSERT INTO messages VALUES ('v1-thread-b', 'b1', 1, 'user', 'My name is Ada', '{"type": "human", "data": {"content": "My name is Ada", "additional_kwargs": {}, "response_metadata": {}, "type": "human", "name": null, "id": "b1"}}', NULL, NULL, NULL, NULL, 1795964331.2772646);
INSERT INTO messages VALUES ('v1-thread-b', 'b2', 2, 'assistant', 'Nice to meet you, Ada!', '{"type": "ai", "data": {"content": "Nice to meet you, Ada!", "additional_kwargs": {}, "response_metadata": {"status": "complete"}, "type": "ai", "name": null, "id": "b2", "tool_calls": [], "invalid_tool_calls": [], "usage_metadata": null}}', 'complete', NULL, NULL, NULL, 1795964331.2772646);
INSERT INTO schema_version VALUES (1, 1795964331.2633214);
INSERT INTO steps VALUES ('v1-thread-a', 'a3', 'call_a', 'calculator', '{"expression": "6 * 7"}', '42', NULL, 'ok', 0.01, 1795964331.2662919);
ALTER TABLE ONLY conversations
    ADD CONSTRAINT conversations_pkey PRIMARY KEY (id);
ALTER TABLE ONLY messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (conversation_id, id);
ALTER TABLE ONLY schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (version);
ALTER TABLE ONLY steps
    ADD CONSTRAINT steps_pkey PRIMARY KEY (conversation_id, message_id);
CREATE INDEX ix_conversations_updated_at ON conversations USING btree (updated_at);
CREATE INDEX ix_messages_order ON messages USING btree (conversation_id, seq);
ALTER TABLE ONLY messages
    ADD CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE;
ALTER TABLE ONLY steps
    ADD CONSTRAINT steps_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE;
