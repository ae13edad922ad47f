"""What the API versions share beyond storage: the rules of the resources themselves
(a conversation's participants, a message's order and limit, a webhook's visibility...),
written once for v2, v1.1 and the SDK API, which each render the records their own way.

Records live in the store (`mocksmooch.store`), one kind each, as JSON bodies in the v2
field names.  `parent` is the record that owns it (deleting a parent deletes its
children), `alt` a second unique name within the parent.

    kind                   parent          alt           body (besides "id")
    account                -               -             name
    serviceAccount         account         -             name, accountId, apps[]
    app                    account         -             name, accountId, settings, metadata, appToken
    key                    owner's id      -             secret, name, owner (app | account |
                                                         serviceAccount | integration | oauth),
                                                         accountId, appId?, serviceAccountId?, integrationId?
    integration            app             -             appId, type, status, displayName, and the
                                                         type's own fields (v2 names); OAuth ones:
                                                         type = the client id, oauthClientId;
                                                         v1Webhooks? (holds an app's v1 webhooks),
                                                         deploymentId? and profile? (WhatsApp)
    webhook                integration     -             appId, integrationId, target, triggers[],
                                                         includeFullUser, includeFullSource, secret, version
    user                   app             externalId    appId, externalId?, profile, metadata, signedUpAt,
                                                         toBeRetained, identities[], zendeskId?,
                                                         sessionToken? (while an SDK user is anonymous)
    client                 user            -             appId, userId, type, status, integrationId?,
                                                         externalId?, lastSeen, linkedAt?, displayName?,
                                                         avatarUrl?, info, raw, linkRequest?
    device                 user            -             appId, userId, type, guid, clientId, status,
                                                         integrationId, lastSeen, pushNotificationToken?,
                                                         info, appVersion?
    conversation           app             -             appId, type (personal | sdkGroup), isDefault,
                                                         displayName?, description?, iconUrl?, metadata,
                                                         businessLastRead?, lastUpdatedAt, createdAt,
                                                         activeSwitchboardIntegrationId?,
                                                         pendingSwitchboardIntegrationId?
    participant            conversation    userId        appId, conversationId, userId, unreadCount,
                                                         lastRead?, clientAssociations[]
    message                conversation    -             appId, conversationId, received, author, content,
                                                         source, metadata?, quotedMessage?, authorEmail?
                                                         (v1 appMaker messages)
    switchboard            app             -             appId, enabled, defaultSwitchboardIntegrationId?
    switchboardIntegration switchboard     name          appId, switchboardId, name, integrationId,
                                                         integrationType, deliverStandbyEvents,
                                                         nextSwitchboardIntegrationId?, messageHistoryCount
    attachment             app             -             appId, mediaUrl, mediaType, mediaSize, fileName,
                                                         content (base64), access, for, conversationId?
    menu                   app or its      "menu"        appId, integrationId?, items[] (each with _id,
                           integration                   type, text, uri? / payload? / items?), settings?
    template               app             name          appId, name, message
    deployment             account         -             accountId, hosting, status, baseUrl?, username?,
                                                         password? (never rendered), callbackUrl?,
                                                         callbackSecret?, phoneNumber?, method?,
                                                         integrationId?, appId?, createdAt
    authCode               user            -             appId, userId, createdAt (the id is the code)
    oauthClient            -               -             secret, name, redirectUris[] (from fixtures)
    oauthCode              app             -             appId, clientId, redirectUri, expiresAt, used

Timestamps are `clock.rfc3339(mock().clock.now())`: `2026-11-27T10:00:00.000Z`.
"""
