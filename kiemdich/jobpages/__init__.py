"""The pages and endpoints of the jobs and long tasks: the admins' jobs page, a task's page,
progress, cancel, file and bad rows, and a page's export started as a task. They stand above
accounts (login, tokens and scopes decide who sees a task), while the queue and the tasks
they show (`kiemdich.jobs`) stand below it, for every app to run its work on."""
