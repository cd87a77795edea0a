"""A Jira REST emulator on loopback, for tests and for trying FireFighter out.

It serves the paths atlassian-python-api's `Jira` client calls for follow-ups:
`POST /rest/api/2/issue` (create; unknown project or issue type → 400),
`GET /rest/api/2/issue/{key}` (404 when unknown), `GET|POST /rest/api/2/issue/{key}/transitions`
(only the transitions the small workflow allows from the current status; others → 400),
search by JQL (`GET /rest/api/2/search` on Data Center, `GET /rest/api/3/search/jql` on Cloud,
where the v2 search is gone: 410), and `GET /rest/api/2/user/search` (Cloud: `query` by e-mail,
account ids; Data Center: `username`). Basic auth (e-mail + API token, user + password) or a
bearer personal access token (Data Center only), 401 otherwise. `send_webhook` signs an
`jira:issue_updated` event as Jira does (`X-Hub-Signature: sha256=…`).

    with JiraEmulator(cloud=True) as jira:
        ...  # JIRA_URL=jira.url, JIRA_USERNAME=jira.username, JIRA_API_TOKEN=jira.password
"""

from firefighter.emulators.jira.emulator import JiraEmulator
from firefighter.emulators.jira.model import WORKFLOW, Issue, JiraUser, JqlError

__all__ = ["WORKFLOW", "Issue", "JiraEmulator", "JiraUser", "JqlError"]
