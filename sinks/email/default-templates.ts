// The built-in message templates of the email sink (Handlebars, context: EmailContext in render-email.ts).
// A team overrides any of them with `templates.subject|text|html` on the sink or on a route.

/** @defaultValue `[acme/web] CI failed on main: #1234 "Fix login"` */
export const defaultSubjectTemplate = '{{headline}}';

/** Plain-text body: the facts one per line, failed jobs, the link to the run. */
export const defaultTextTemplate = `{{headline}}

Status:        {{statusLabel}}{{#if change}} ({{change}}){{/if}}
{{#if flakyNote}}
Flaky:         {{flakyNote}}
{{/if}}
Repository:    {{event.repository.name}}{{#if event.repository.url}} <{{event.repository.url}}>{{/if}}
{{#if event.branch}}
Branch:        {{event.branch}}
{{/if}}
{{#if event.tag}}
Tag:           {{event.tag}}
{{/if}}
{{#if event.pullRequest}}
Pull request:  #{{event.pullRequest.number}}{{#if event.pullRequest.url}} <{{event.pullRequest.url}}>{{/if}}
{{/if}}
Pipeline:      {{pipelineLabel}}{{#if event.pipeline.url}} <{{event.pipeline.url}}>{{/if}}
{{#if event.job}}
Job:           {{event.job.name}}{{#if event.job.url}} <{{event.job.url}}>{{/if}}
{{/if}}
Commit:        {{sha7 event.commit.sha}}{{#if commitTitle}} "{{commitTitle}}"{{/if}}{{#if author}} by {{author}}{{/if}}{{#if event.commit.url}} <{{event.commit.url}}>{{/if}}
{{#if event.durationMs}}
Duration:      {{humanDuration event.durationMs}}
{{/if}}
{{#if actor}}
Triggered by:  {{actor}}
{{/if}}
{{#if failedJobs.length}}

Failed jobs:
{{#each failedJobs}}
  - {{name}}{{#if url}} <{{url}}>{{/if}}
{{/each}}
{{/if}}
{{#if runUrl}}

View the run: {{runUrl}}
{{/if}}

-- 
Sent by ci-relay (route "{{route}}", sink "{{sink}}").
`;

const th =
  'text-align:left;vertical-align:top;padding:6px 16px 6px 0;color:#656d76;font-weight:normal;white-space:nowrap;width:1%;';
const td = 'padding:6px 0;vertical-align:top;';
const link = 'color:#0969da;text-decoration:none;';

/** HTML body: a status colour bar, the headline, a table of facts, failed jobs and a button to the run. */
export const defaultHtmlTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{headline}}</title>
</head>
<body style="margin:0;padding:0;background:#f6f8fa;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f6f8fa;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background:#ffffff;border:1px solid #d0d7de;border-top:6px solid {{statusColor}};border-radius:6px;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5;color:#1f2328;">
<tr><td style="padding:20px 24px 8px;">
<div style="font-size:12px;font-weight:600;letter-spacing:0.04em;text-transform:uppercase;color:{{statusColor}};">{{statusLabel}}{{#if change}} &middot; {{change}}{{/if}}</div>
<h1 style="margin:4px 0 0;font-size:18px;line-height:1.35;font-weight:600;">{{headline}}</h1>
</td></tr>
<tr><td style="padding:8px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-size:14px;">
<tr><th style="${th}">Status</th><td style="${td}"><strong style="color:{{statusColor}};">{{statusLabel}}</strong>{{#if change}} ({{change}}){{/if}}</td></tr>
{{#if flakyNote}}<tr><th style="${th}">Flaky</th><td style="${td}">{{flakyNote}}</td></tr>{{/if}}
<tr><th style="${th}">Repository</th><td style="${td}">{{#if event.repository.url}}<a href="{{event.repository.url}}" style="${link}">{{event.repository.name}}</a>{{else}}{{event.repository.name}}{{/if}}</td></tr>
{{#if event.branch}}
<tr><th style="${th}">Branch</th><td style="${td}"><code>{{event.branch}}</code></td></tr>
{{/if}}
{{#if event.tag}}
<tr><th style="${th}">Tag</th><td style="${td}"><code>{{event.tag}}</code></td></tr>
{{/if}}
{{#if event.pullRequest}}
<tr><th style="${th}">Pull request</th><td style="${td}">{{#if event.pullRequest.url}}<a href="{{event.pullRequest.url}}" style="${link}">#{{event.pullRequest.number}}</a>{{else}}#{{event.pullRequest.number}}{{/if}}</td></tr>
{{/if}}
<tr><th style="${th}">Pipeline</th><td style="${td}">{{#if event.pipeline.url}}<a href="{{event.pipeline.url}}" style="${link}">{{pipelineLabel}}</a>{{else}}{{pipelineLabel}}{{/if}}</td></tr>
{{#if event.job}}
<tr><th style="${th}">Job</th><td style="${td}">{{#if event.job.url}}<a href="{{event.job.url}}" style="${link}">{{event.job.name}}</a>{{else}}{{event.job.name}}{{/if}}</td></tr>
{{/if}}
<tr><th style="${th}">Commit</th><td style="${td}">{{#if event.commit.url}}<a href="{{event.commit.url}}" style="${link}"><code>{{sha7 event.commit.sha}}</code></a>{{else}}<code>{{sha7 event.commit.sha}}</code>{{/if}}{{#if commitTitle}} {{commitTitle}}{{/if}}{{#if author}}<br><span style="color:#656d76;">by {{author}}</span>{{/if}}</td></tr>
{{#if event.durationMs}}
<tr><th style="${th}">Duration</th><td style="${td}">{{humanDuration event.durationMs}}</td></tr>
{{/if}}
{{#if actor}}
<tr><th style="${th}">Triggered by</th><td style="${td}">{{actor}}</td></tr>
{{/if}}
</table>
</td></tr>
{{#if failedJobs.length}}
<tr><td style="padding:8px 24px;">
<div style="font-weight:600;margin-bottom:4px;">Failed jobs</div>
<ul style="margin:0;padding-left:20px;">
{{#each failedJobs}}
<li>{{#if url}}<a href="{{url}}" style="${link}">{{name}}</a>{{else}}{{name}}{{/if}}</li>
{{/each}}
</ul>
</td></tr>
{{/if}}
{{#if runUrl}}
<tr><td style="padding:16px 24px 24px;">
<a href="{{runUrl}}" style="display:inline-block;background:#1f2328;color:#ffffff;text-decoration:none;font-weight:600;padding:10px 18px;border-radius:6px;">View run</a>
</td></tr>
{{/if}}
</table>
<p style="margin:12px 0 0;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;font-size:12px;color:#656d76;">Sent by ci-relay &middot; route {{route}} &middot; sink {{sink}}</p>
</td></tr>
</table>
</body>
</html>
`;
