"""Every session-state key and query parameter the page uses, in one place.

Widgets own their own keys (named after what they show); what lives here is the state a
session carries between script runs. `identity._forget_other_owners_state` keeps only
the identity keys when another owner signs in, so nothing cached for one person serves
another.
"""

# Who this session is (web/identity.py): kept across a change of owner.
OWNER_KEY = "owner"  # the owner this session's cached conversation state belongs to
BROWSER_KEY = "browser_owner"
CLAIM_KEY = "browser_claim"  # what the store's key must settle: ("verify"|"issue", value)
COOKIE_KEY = "browser_cookie"  # (token this session issued, token the request sent)

# The conversation in working memory (web/history.py).
ACTIVE_THREAD_KEY = "active_thread_id"
UNSAVED_KEY = "unsaved_messages"
PARENTS_KEY = "message_parents"  # {message id: the message it continues}, until stored
STORE_PROBLEM_KEY = "store_problem"
UNREADABLE_KEY = "unreadable_messages"
ISSUED_KEY = "issued_threads"  # ids this session made: writable before the store has them

# The turn being answered (web/turn.py).
RETRY_REQUEST_KEY = "retry_request"
RETRY_FILES_KEY = "retry_files"  # the file references of a question asked again
ACTIVE_RUN_KEY = "active_agent_run"
PENDING_APPROVAL_KEY = "pending_approval"
DECISIONS_KEY = "tool_decisions"  # {user message id: {call key: approved?}}
APPROVED_RESULTS_KEY = "approved_results"  # {user message id: {call key: its result}}

# The page itself (app.py, web/ui/sidebar.py).
DRAFT_THREAD_KEY = "draft_thread_id"
CHAT_INPUT_KEY = "chat-input"
PAGE_DRAWN_KEY = "page_drawn"  # this session's page was drawn whole once: its box is too
ASKING_KEY = "asking"  # a question was just sent: the turn above is no longer the latest
USER_API_KEY = "user_openai_api_key"
SEARCH_KEY = "conversation-search"
DELETE_CONFIRM_KEY = "delete-all-confirm"  # the word typed to confirm "Delete all my data"
DATA_NOTICE_KEY = "data_notice"  # (kind, text) of what "Delete all my data" did, shown once
# Panels and popovers drawn only while open: True in session state opens one.
DATA_PANEL_KEY = "your-data-panel"
MEMORY_PANEL_OPEN_KEY = "memory-panel"
RENAME_PANEL_PREFIX = "rename-panel-"  # + conversation id
DELETE_PANEL_PREFIX = "delete-panel-"  # + conversation id
EDIT_PANEL_PREFIX = "edit-panel-"  # + question id

# Query parameters: the open conversation, and the message a search result points at.
THREAD_PARAM = "thread"
MESSAGE_PARAM = "message"  # a search result: the conversation opens at this message

# Long-term memory's panel (web/memory.py, web/ui/memory_panel.py).
MEMORY_NOTICE_KEY = "memory_notice"  # (kind, text) of the panel's last action, shown once
NEW_MEMORY_KEY = "memory-new"  # the "Add a memory" box
MEMORY_PANEL_KEY = "memory_panel_used"  # the panel stays open once used in this session
