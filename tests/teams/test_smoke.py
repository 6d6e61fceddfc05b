def test_manage_page_renders_for_admin(admin_client, organization, manager_membership):
    response = admin_client.get(f"/o/{organization.slug}/manage/")
    assert response.status_code == 200
    assert b"Invite advisor" in response.content
    assert manager_membership.user.email.encode() in response.content
